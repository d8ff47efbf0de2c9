package crypto

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed on
// a phone is not mistaken for another.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+ panics instead).
	_, _ = rand.Read(b)
	return b
}

// NewRequestID returns a fresh request identifier: 80 random bits, 16 lowercase characters.
// It names a request; it is not a secret.
func NewRequestID() string {
	return strings.ToLower(crockford.EncodeToString(randomBytes(10)))
}

// NewMatchCode returns a short code for number matching (NIST 800-63B 5.1.3): 30 random bits
// as six Crockford base32 characters in two groups, "7KQ-X3P". The requester shows it; the
// approver checks it before saying yes.
func NewMatchCode() string {
	s := crockford.EncodeToString(randomBytes(4))[:6]
	return s[:3] + "-" + s[3:]
}

// NormalizeMatchCode makes a typed code comparable: upper case, no separators, and the
// letters people confuse with digits mapped as Crockford's alphabet does.
func NormalizeMatchCode(code string) string {
	r := strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1", "L", "1")
	return r.Replace(strings.ToUpper(strings.TrimSpace(code)))
}
