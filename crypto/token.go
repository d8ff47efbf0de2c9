package crypto

import (
	"crypto/sha256"
	"encoding/hex"
)

// TokenBytes is the size of a challenge token: 128 bits from the CSPRNG (ASVS 2.7.6 asks >= 20).
const TokenBytes = 16

// NewToken returns a fresh single-use challenge token. Only its hash is stored (ASVS 2.7.5).
func NewToken() []byte { return randomBytes(TokenBytes) }

// TokenHash is what the store keeps of a token: a domain-separated SHA-256, hex.
func TokenHash(token []byte) string {
	sum := sha256.Sum256(canonical("seedgate-token-v1", token))
	return hex.EncodeToString(sum[:])
}
