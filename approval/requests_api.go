package approval

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// AskInput is what an automation asks for through POST /v1/requests.
type AskInput struct {
	Client string `json:"client"`
	Hash   string `json:"hash"`
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// Errors that the API answers with their own status.
var (
	ErrNoPolicy      = errors.New("no policy covers this action on this torrent")
	ErrUnknownClient = errors.New("unknown torrent client")
	ErrBadInput      = errors.New("bad request")
)

// Ask opens a request on behalf of an API caller. The torrent is looked up in its client
// first; the policy that matches event "request" and the action decides. A policy whose outcome
// is announce lets the action run at once (and says so); no matching policy refuses it.
func (s *Service) Ask(ctx context.Context, caller string, in AskInput) (*store.Request, error) {
	in.Hash = strings.ToLower(strings.TrimSpace(in.Hash))
	switch {
	case in.Client == "" || in.Hash == "" || in.Action == "":
		return nil, fmt.Errorf("%w: client, hash and action are required", ErrBadInput)
	case !slices.Contains(config.RequestActions, in.Action):
		return nil, fmt.Errorf("%w: action must be one of %s", ErrBadInput, strings.Join(config.RequestActions, ", "))
	case len(in.Reason) > 500:
		return nil, fmt.Errorf("%w: reason longer than 500 characters", ErrBadInput)
	}
	client := s.clients[in.Client]
	if client == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownClient, in.Client)
	}
	t, err := client.Get(ctx, in.Hash)
	if err != nil {
		return nil, err // torrent.ErrNoSuchTorrent when the client does not know it
	}
	policy, ok := s.cfg.PolicyFor(config.Subject{
		Event: config.EventRequest, Action: in.Action, Client: in.Client, Host: s.hosts[in.Client], Name: t.Name,
		Size: t.Size, Category: t.Category, Tags: splitTags(t.Tags), Tracker: t.Tracker,
	})
	if !ok {
		return nil, ErrNoPolicy
	}
	req := s.newRequest(policy, config.EventRequest, in.Action, in.Client, *t)
	req.Requester, req.Reason = caller, in.Reason
	// What is asked is what runs on approval; a denial or expiry leaves the torrent as it is.
	req.OnApprove, req.OnDeny, req.OnExpiry = in.Action, config.ActionNone, config.ActionNone
	if policy.Outcome == config.OutcomeAnnounce {
		req.State, req.Verdict, req.DecidedBy, req.Outcome, req.DecidedAt = store.RequestApproved, store.RequestApproved, "policy "+policy.Name, in.Action, s.now()
	}
	return s.open(ctx, req, map[string]any{})
}

// APIHandler serves the HTTP API:
//
//	POST /v1/approve         a signed vote line; the signature authenticates it
//	POST /v1/requests        ask for an approval (bearer token of a configured caller)
//	GET  /v1/requests/{id}   a request's state; ?wait=60s long-polls until it is decided
//
// Rate limits apply after authentication, each to its own budget: a caller's token, an
// enrolled device key (for a vote whose signature verifies), and a small one per address for
// everything anonymous (no or a wrong token, a malformed or unverifiable vote). Junk from
// anywhere therefore uses up only the anonymous budget, never a caller's or an approver's.
func (s *Service) APIHandler(log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	limits := newAPILimits()
	prepared := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
			h(w, r.WithContext(log.WithContext(r.Context())))
		}
	}
	mux.HandleFunc("POST /v1/approve", prepared(func(w http.ResponseWriter, r *http.Request) { s.handleApprove(w, r, limits) }))
	mux.HandleFunc("POST /v1/requests", prepared(s.authenticated(limits, s.handleAsk)))
	mux.HandleFunc("GET /v1/requests/{id}", prepared(s.authenticated(limits, s.handleGet)))
	return mux
}

// authenticated checks the bearer token against the configured callers, in constant time, and
// charges the caller's budget, or the anonymous one when no caller is found.
func (s *Service) authenticated(limits *apiLimits, h func(http.ResponseWriter, *http.Request, config.APICaller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var caller config.APICaller
		for _, c := range s.cfg.API.Callers {
			if ok && subtle.ConstantTimeCompare([]byte(token), []byte(c.Token.Value())) == 1 {
				caller = c
			}
		}
		if caller.Name == "" {
			if limits.refuseAnonymous(w, r) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="seedgate"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "missing or unknown bearer token"})
			return
		}
		if !limits.callers.allow(caller.Name, time.Now()) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": fmt.Sprintf("rate limited: at most %d calls a minute per token", callerBudget)})
			return
		}
		h(w, r, caller)
	}
}

func (s *Service) handleAsk(w http.ResponseWriter, r *http.Request, apiCaller config.APICaller) {
	caller := apiCaller.Name
	ctx := r.Context()
	var in AskInput
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, map[string]any{"error": "body must be JSON {client, hash, action, reason}: " + err.Error()})
		return
	}
	req, err := s.Ask(ctx, caller, in)
	status := http.StatusCreated
	switch {
	case errors.Is(err, ErrBadInput):
		status = http.StatusBadRequest
	case errors.Is(err, ErrUnknownClient), errors.Is(err, torrent.ErrNoSuchTorrent):
		status = http.StatusNotFound
	case errors.Is(err, ErrNoPolicy):
		status = http.StatusForbidden
	case err != nil:
		zerolog.Ctx(ctx).Error().Err(err).Msg("API request failed")
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": "could not open the request: the torrent client or the database failed"})
		return
	}
	if err != nil {
		_ = s.store.AppendAudit(ctx, "api_refused", "", map[string]any{"caller": caller, "client": in.Client, "hash": in.Hash, "action": in.Action, "reason": err.Error()})
		writeJSON(w, status, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, status, requestView(req))
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request, caller config.APICaller) {
	ctx := r.Context()
	wait := time.Duration(0)
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxWait {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "wait must be a duration up to 5m, such as 60s"})
			return
		}
		wait = d
	}
	// The listener's write timeout (10 s) is for ordinary answers; a long poll may take its
	// whole wait, and then needs time to write.
	if wait > 0 {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
	}
	deadline := time.After(wait)
	for {
		changed := s.changes.wait() // before reading, so no change slips between read and wait
		req, err := s.store.GetRequest(ctx, r.PathValue("id"))
		if errors.Is(err, store.ErrNotFound) || (err == nil && caller.Scope != config.ScopeAll && req.Requester != caller.Name) {
			// A token reads only the requests it asked for, unless its scope is all; another's
			// request is answered as if it did not exist.
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such request"})
			return
		} else if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "could not read the request"})
			return
		}
		if req.State.Final() || wait == 0 {
			writeJSON(w, http.StatusOK, requestView(req))
			return
		}
		select {
		case <-changed:
		case <-deadline:
			writeJSON(w, http.StatusOK, requestView(req))
			return
		case <-ctx.Done():
			return
		}
	}
}

// requestView is a request as the API shows it.
func requestView(r *store.Request) map[string]any {
	v := map[string]any{
		"id": r.ID, "state": r.State, "policy": r.Policy, "client": r.Client, "hash": r.TorrentHash,
		"name": r.TorrentName, "action": r.Action, "match_code": r.MatchCode, "quorum": r.Quorum,
		"min_assurance": r.MinAssurance, "expires_at": r.ExpiresAt.UTC(), "final": r.State.Final(),
	}
	if r.Verdict != "" {
		v["decision"], v["decided_by"], v["outcome"] = r.Verdict, r.DecidedBy, r.Outcome
	}
	if r.Error != "" {
		v["error"] = r.Error
	}
	return v
}
