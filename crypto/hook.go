package crypto

import (
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
	nonce := b64.EncodeToString(randomBytes(12))
	ts := now.Unix()
	return fmt.Sprintf("t=%d,n=%s,s=%s", ts, nonce, hex.EncodeToString(hookMAC(secret, ts, nonce, body)))
}

// HookVerifier checks hook calls: a valid HMAC over timestamp, nonce and body, a timestamp
// within the window, and a nonce not seen within it.
type HookVerifier struct {
	secret []byte
	window time.Duration

	mu     sync.Mutex
	nonces map[string]time.Time
}

// NewHookVerifier returns a verifier accepting calls up to window away from its clock.
func NewHookVerifier(secret []byte, window time.Duration) *HookVerifier {
	return &HookVerifier{secret: secret, window: window, nonces: map[string]time.Time{}}
}

// Verify checks one call. It returns ErrMalformed, ErrBadSignature, ErrExpired, ErrNotYetValid
// or ErrReplayedNonce.
func (v *HookVerifier) Verify(header string, body []byte, now time.Time) error {
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
	v.mu.Lock()
	defer v.mu.Unlock()
	for n, seen := range v.nonces {
		if now.Sub(seen) > 2*v.window {
			delete(v.nonces, n)
		}
	}
	if _, dup := v.nonces[nonce]; dup {
		return fmt.Errorf("hook: %w", ErrReplayedNonce)
	}
	v.nonces[nonce] = now
	return nil
}
