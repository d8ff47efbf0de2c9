package approval

import (
	"encoding/json"
	"errors"
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

func (s *Service) handleApprove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": "body larger than 8 KiB"})
		return
	}
	line := strings.TrimSpace(string(raw))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Vote string `json:"vote"`
		}
		if json.Unmarshal(raw, &body) != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": `body is not JSON {"vote": "sg1.vote..."}`})
			return
		}
		line = body.Vote
	}
	vote, err := crypto.ParseVote(line)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "not a signed vote: " + err.Error()})
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
