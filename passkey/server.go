package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// Voter records a vote; approval.Service is one.
type Voter interface {
	Vote(ctx context.Context, b approval.Ballot) (*approval.Result, error)
}

// Notices tells people in Matrix what happened on the pages; the bot is one.
type Notices interface {
	// PasskeyRegistered tells person, in their direct-message room, that a passkey was
	// registered with their enrolment link and how to confirm (or ignore) it.
	PasskeyRegistered(ctx context.Context, person string, key *store.Passkey)
	// PasskeyVoted answers a passkey vote under the request's card, as every vote is answered.
	PasskeyVoted(ctx context.Context, person string, res *approval.Result)
}

// Server serves the enrolment and approval pages.
type Server struct {
	cfg     *config.Config
	store   *store.Store
	secret  []byte
	wa      *webauthn.WebAuthn
	votes   Voter
	notices Notices
	now     func() time.Time
}

// Lifetimes and limits of the pages.
const (
	// EnrolmentTTL is how long an enrolment link, and the passkey it registers, wait.
	EnrolmentTTL = 10 * time.Minute
	// nonceTTL bounds one tap: from the button to the passkey's answer.
	nonceTTL = 2 * time.Minute
	// maxOpenNonces is how many unanswered taps a request may have at once, so a link cannot
	// fill the database.
	maxOpenNonces = 32
	maxBody       = 64 << 10
)

// New makes the server for cfg.Passkeys, with the link secret from keys_dir.
func New(cfg *config.Config, st *store.Store, secret []byte) (*Server, error) {
	if err := crypto.CheckPasskeyLinkSecret(secret); err != nil {
		return nil, err
	}
	conveyance := protocol.PreferNoAttestation
	if cfg.WantsAttestation() {
		conveyance = protocol.PreferDirectAttestation
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.Passkeys.RPID(),
		RPDisplayName:         "seedgate",
		RPOrigins:             []string{cfg.Passkeys.Origin()},
		AttestationPreference: conveyance,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: passkeys.public_url %q: %w", cfg.Passkeys.PublicURL, err)
	}
	return &Server{cfg: cfg, store: st, secret: secret, wa: wa, now: time.Now}, nil
}

// Start connects the server to the votes and the bot; it serves nothing useful before.
func (s *Server) Start(votes Voter, notices Notices) { s.votes, s.notices = votes, notices }

// Handler serves the pages and their calls, logging to log.
func (s *Server) Handler(log zerolog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /e/{token}", s.enrolPage)
	mux.HandleFunc("POST /e/{token}/begin", s.posted(s.enrolBegin))
	mux.HandleFunc("POST /e/{token}/finish", s.posted(s.enrolFinish))
	mux.HandleFunc("GET /a/{token}", s.approvalPage)
	mux.HandleFunc("POST /a/{token}/begin", s.posted(s.approvalBegin))
	mux.HandleFunc("POST /a/{token}/finish", s.posted(s.approvalFinish))
	mux.HandleFunc("GET /s/{file}", serveAsset)
	return withLogger(log, securityHeaders(s.cfg.Passkeys.Origin(), mux))
}

func withLogger(log zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(log.WithContext(r.Context())))
	})
}

// ApprovalURL is the page a request's card links to; person "" lets any of its approvers in.
func (s *Server) ApprovalURL(requestID, person string) string {
	return s.cfg.Passkeys.Origin() + "/a/" + crypto.ApprovalLink(s.secret, requestID, person)
}

// securityHeaders puts a strict policy on every answer: only this origin's own script and
// style, no framing, no referrer (the link is a capability), nothing cached.
func securityHeaders(origin string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "+
			"img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "publickey-credentials-get=(self), publickey-credentials-create=(self)")
		if strings.HasPrefix(origin, "https://") {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// refusal is an answer to a page's call that names what was wrong.
type refusal struct {
	status int
	reason string
}

func (r *refusal) Error() string { return r.reason }

func refuse(status int, format string, args ...any) *refusal {
	return &refusal{status: status, reason: fmt.Sprintf(format, args...)}
}

// posted wraps a page's JSON call: same origin only (a page elsewhere cannot start a ceremony
// here), a bounded body, and one JSON answer, {"error": reason} when refused. Logs name the
// route, never the path: a path holds a link's token, and an enrolment token is a secret.
func (s *Server) posted(call func(ctx context.Context, r *http.Request, body []byte) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		log := zerolog.Ctx(ctx)
		var out any
		var err error
		if origin := r.Header.Get("Origin"); origin != s.cfg.Passkeys.Origin() {
			err = refuse(http.StatusForbidden, "refused: this page was opened from another origin (%q)", origin)
		} else if body, readErr := readBody(w, r); readErr != nil {
			err = readErr
		} else {
			out, err = call(ctx, r, body)
		}
		w.Header().Set("Content-Type", "application/json")
		var ref *refusal
		switch {
		case errors.As(err, &ref):
			log.Warn().Str("route", r.Pattern).Str("reason", ref.reason).Msg("Passkey page call refused")
			w.WriteHeader(ref.status)
			out = map[string]string{"error": ref.reason}
		case err != nil:
			log.Error().Err(err).Str("route", r.Pattern).Msg("Passkey page call failed")
			w.WriteHeader(http.StatusInternalServerError)
			out = map[string]string{"error": "seedgate could not do that (its log says why); nothing was recorded"}
		}
		_ = json.NewEncoder(w).Encode(out)
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, refuse(http.StatusUnsupportedMediaType, "the call must be JSON")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, refuse(http.StatusBadRequest, "the call is not one JSON value of at most %d bytes: %v", maxBody, err)
	}
	return raw, nil
}

// ceremonyRefusal turns go-webauthn's error into the reason a person is shown.
func ceremonyRefusal(err error) *refusal {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		why := pe.Details
		if pe.DevInfo != "" {
			why += ": " + pe.DevInfo
		}
		return refuse(http.StatusForbidden, "the passkey's answer was refused: %s", why)
	}
	return refuse(http.StatusForbidden, "the passkey's answer was refused: %v", err)
}

// attestationRefusal says why a passkey is outside passkeys.attestation, or "" when it is not.
func (s *Server) attestationRefusal(format, aaguid string) string {
	p := s.cfg.Passkeys
	return attestationMissing(p.Attestation, p.AAGUIDs, format, aaguid, "this seedgate", "passkeys.aaguids")
}

// policyAttestationRefusal says why a passkey may not vote on a request of policy, or "". A
// request whose policy is no longer configured takes no passkey vote: what it asked is unknown.
func (s *Server) policyAttestationRefusal(policy, format, aaguid string) string {
	p, ok := s.cfg.PolicyNamed(policy)
	if !ok {
		return "this request's policy " + policy + " is no longer configured, so what it asks of a passkey is unknown"
	}
	return attestationMissing(p.PasskeyAttestation, p.PasskeyAAGUIDs, format, aaguid, "policy "+policy, "its passkey_aaguids")
}

func attestationMissing(setting string, aaguids []string, format, aaguid, who, list string) string {
	if setting != config.AttestationRequired {
		return ""
	}
	if format == "" || format == "none" {
		return who + " requires attested authenticators, and this passkey was registered without attestation"
	}
	if len(aaguids) > 0 && !slices.Contains(aaguids, aaguid) {
		return "this authenticator model (AAGUID " + aaguid + ") is not on " + list
	}
	return ""
}
