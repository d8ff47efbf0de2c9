package crypto

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// b64 is the text-safe encoding of every binary field on the wire: URL-safe base64 without
// padding survives Signal, RCS, SMS fallbacks and copy-paste from Element unchanged. Strict:
// a last character with stray low bits is refused, so each value has exactly one spelling
// (found by FuzzParseEnrollment).
var b64 = base64.RawURLEncoding.Strict()

// canonical is the one encoding that every signature and digest here covers: a domain string
// that names the purpose and version, a NUL, then each field as a 4-byte big-endian length and
// its bytes. Two different field lists can never encode to the same bytes, and a signature made
// for one purpose is never valid for another.
func canonical(domain string, fields ...[]byte) []byte {
	n := len(domain) + 1
	for _, f := range fields {
		n += 4 + len(f)
	}
	out := make([]byte, 0, n)
	out = append(out, domain...)
	out = append(out, 0)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

func u64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// keyIDFor names public key material: 80 bits of its SHA-256, as 16 lowercase Crockford
// base32 characters.
func keyIDFor(domain string, parts ...[]byte) string {
	sum := sha256.Sum256(canonical(domain, parts...))
	return strings.ToLower(crockford.EncodeToString(sum[:10]))
}

// validKeyID checks the form of a key id without knowing the key.
func validKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := crockford.DecodeString(strings.ToUpper(s))
	return err == nil
}
