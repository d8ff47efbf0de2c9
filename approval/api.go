package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/crypto"
)

// maxAPIBody bounds a request body: a signed vote is about 230 bytes.
const maxAPIBody = 8 << 10

func (s *Service) handleApprove(w http.ResponseWriter, r *http.Request, limits *apiLimits) {
	ctx := r.Context()
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		if !limits.refuseAnonymous(w, r) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": "body larger than 8 KiB"})
		}
		return
	}
	line := strings.TrimSpace(string(raw))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Vote string `json:"vote"`
		}
		if json.Unmarshal(raw, &body) != nil {
			if !limits.refuseAnonymous(w, r) {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": `body is not JSON {"vote": "sg1.vote..."}`})
			}
			return
		}
		line = body.Vote
	}
	vote, err := crypto.ParseVote(line)
	if err != nil {
		if !limits.refuseAnonymous(w, r) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "not a signed vote: " + err.Error()})
		}
		return
	}
	// A vote whose signature verifies under an enrolled key is charged to that key; any other
	// to its address, so a forger naming someone's key id cannot use up that person's budget.
	if _, key, ok, err := s.keys.Owner(ctx, vote.KeyID); err == nil && ok && vote.VerifySignature(key) == nil {
		if !limits.keys.allow(vote.KeyID, time.Now()) {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": fmt.Sprintf("rate limited: at most %d votes a minute per device key", keyBudget)})
			return
		}
	} else if limits.refuseAnonymous(w, r) {
		return
	}
	res, err := s.Vote(ctx, Ballot{Voter: "api " + clientAddress(r), Signed: vote, Source: "POST /v1/approve"})
	if errors.Is(err, ErrUnknownRequest) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such request", "request_id": vote.RequestID})
		return
	} else if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("Recording API vote failed")
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "could not record the vote"})
		return
	}
	writeJSON(w, apiStatus(res), map[string]any{
		"request_id": res.Request.ID, "counted": res.Counted, "reason": res.Reason, "state": res.Request.State,
	})
}

// apiStatus maps a vote's fate to an HTTP status a script can branch on.
func apiStatus(res *Result) int {
	r := res.Reason
	switch {
	case res.Counted:
		return http.StatusOK
	case strings.Contains(r, "unknown or revoked key"), strings.Contains(r, "bad signature"):
		return http.StatusForbidden
	case strings.Contains(r, "expired"):
		return http.StatusGone
	default: // already used, already decided, wrong request, wrong binding
		return http.StatusConflict
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	mu      sync.Mutex
	burst   float64
	per     time.Duration
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(burst int, per time.Duration) *rateLimiter {
	return &rateLimiter{burst: float64(burst), per: per, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 10000 { // forget idle addresses rather than grow without bound
		for k, b := range l.buckets {
			if now.Sub(b.at) > l.per {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.burst/l.per.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Budgets of the HTTP API, per minute.
const (
	anonymousBudget = 20  // per address, for calls that prove nothing
	callerBudget    = 120 // per caller token
	keyBudget       = 30  // per enrolled device key whose signature verified
)

// maxWait is the longest long poll.
const maxWait = 5 * time.Minute

// apiLimits holds the API's separate budgets.
type apiLimits struct {
	anonymous, callers, keys *rateLimiter
}

func newAPILimits() *apiLimits {
	return &apiLimits{
		anonymous: newRateLimiter(anonymousBudget, time.Minute),
		callers:   newRateLimiter(callerBudget, time.Minute),
		keys:      newRateLimiter(keyBudget, time.Minute),
	}
}

// refuseAnonymous charges an anonymous call to its address and answers 429 when the address
// is over its budget.
func (l *apiLimits) refuseAnonymous(w http.ResponseWriter, r *http.Request) bool {
	if l.anonymous.allow(clientAddress(r), time.Now()) {
		return false
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": fmt.Sprintf("rate limited: at most %d unauthenticated calls a minute from one address", anonymousBudget)})
	return true
}
