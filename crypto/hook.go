package crypto

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HookHeader carries a hook call's authentication: t=<unix seconds>,n=<nonce>,s=<hex HMAC>.
const HookHeader = "X-Seedgate-Signature"

func hookMAC(secret []byte, ts int64, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(canonical("seedgate-hook-v1", []byte(strconv.FormatInt(ts, 10)), []byte(nonce), body))
	return m.Sum(nil)
}

// SignHook returns the header value that authenticates body at time now.
func SignHook(secret []byte, now time.Time, body []byte) string {
	return signHookAt(secret, now.Unix(), b64.EncodeToString(randomBytes(12)), body)
}

func signHookAt(secret []byte, ts int64, nonce string, body []byte) string {
	return fmt.Sprintf("t=%d,n=%s,s=%s", ts, nonce, hex.EncodeToString(hookMAC(secret, ts, nonce, body)))
}

// HookVerifier checks hook calls: a valid HMAC over timestamp, nonce and body, a timestamp
// within the window, and a nonce not seen within it.
type HookVerifier struct {
	secret []byte
	window time.Duration
	ledger NonceLedger
}

// NonceLedger remembers the nonces of accepted hook calls. It must outlive the process (the
// database), or a call captured on the network could be replayed right after a restart, while
// its timestamp is still inside the window.
type NonceLedger interface {
	// SpendNonce records nonce as seen at now and reports whether it was new; nonces seen
	// before forgetBefore may be forgotten, since their calls are too old to pass anyway.
	SpendNonce(ctx context.Context, nonce string, now, forgetBefore time.Time) (bool, error)
}

// NewHookVerifier returns a verifier accepting calls up to window away from its clock, with
// the nonces it has seen kept in ledger.
func NewHookVerifier(secret []byte, window time.Duration, ledger NonceLedger) *HookVerifier {
	return &HookVerifier{secret: secret, window: window, ledger: ledger}
}

// MemoryNonces is a NonceLedger that forgets at exit: for tests and tools that never restart.
type MemoryNonces struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// SpendNonce implements NonceLedger.
func (m *MemoryNonces) SpendNonce(_ context.Context, nonce string, now, forgetBefore time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	for n, at := range m.seen {
		if at.Before(forgetBefore) {
			delete(m.seen, n)
		}
	}
	if _, dup := m.seen[nonce]; dup {
		return false, nil
	}
	m.seen[nonce] = now
	return true, nil
}

// Verify checks one call. It returns ErrMalformed, ErrBadSignature, ErrExpired, ErrNotYetValid
// or ErrReplayedNonce, or the ledger's error: a nonce that cannot be recorded is refused.
func (v *HookVerifier) Verify(ctx context.Context, header string, body []byte, now time.Time) error {
	var ts int64
	var nonce, sig string
	for _, part := range strings.Split(header, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(val, 10, 64)
		case "n":
			nonce = val
		case "s":
			sig = val
		}
	}
	mac, err := hex.DecodeString(sig)
	if ts <= 0 || nonce == "" || len(nonce) > 64 || err != nil || len(mac) != sha256.Size {
		return fmt.Errorf("hook signature header: %w", ErrMalformed)
	}
	if !hmac.Equal(mac, hookMAC(v.secret, ts, nonce, body)) {
		return fmt.Errorf("hook: %w", ErrBadSignature)
	}
	at := time.Unix(ts, 0)
	switch {
	case now.Sub(at) > v.window:
		return fmt.Errorf("hook: signed %s ago: %w", now.Sub(at).Round(time.Second), ErrExpired)
	case at.Sub(now) > v.window:
		return fmt.Errorf("hook: signed %s in the future: %w", at.Sub(now).Round(time.Second), ErrNotYetValid)
	}
	fresh, err := v.ledger.SpendNonce(ctx, nonce, now, now.Add(-2*v.window))
	if err != nil {
		return fmt.Errorf("hook: recording its nonce: %w", err)
	}
	if !fresh {
		return fmt.Errorf("hook: %w", ErrReplayedNonce)
	}
	return nil
}
