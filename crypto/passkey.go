package crypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// PasskeyLinkKeyFile is the secret, in keys_dir, that approval links and passkey user handles
// are derived from.
const PasskeyLinkKeyFile = "passkey-links.key"

// PasskeyNonceBytes is the size of the fresh nonce each passkey assertion signs.
const PasskeyNonceBytes = 32

// NewPasskeyNonce returns a fresh single-use nonce for one assertion.
func NewPasskeyNonce() []byte { return randomBytes(PasskeyNonceBytes) }

// PasskeyChallenge is what a passkey signs to approve or deny a request: the SHA-256 of the
// canonical encoding of the request, its binding (client, torrent, action, host), the outcome
// and a single-use nonce. The authenticator signs it inside clientDataJSON, so an assertion
// made for one request or outcome never verifies for another.
func PasskeyChallenge(requestID string, b Binding, outcome string, nonce []byte) []byte {
	sum := sha256.Sum256(canonical("seedgate-passkey-vote-v1", []byte(requestID), b.Digest(), []byte(outcome), nonce))
	return sum[:]
}

// ErrBadLink is an approval link that seedgate did not make.
var ErrBadLink = errors.New("this link was not made by this seedgate (or was altered)")

// ApprovalLink returns the token of a request's passkey link for one person ("" for any of
// its approvers): the request and person in the clear, then a MAC over both under the link
// secret. Nothing is stored; the MAC alone shows seedgate made it, for that request only.
func ApprovalLink(secret []byte, requestID, person string) string {
	return b64.EncodeToString([]byte(requestID)) + "." + b64.EncodeToString([]byte(person)) + "." +
		b64.EncodeToString(linkMAC(secret, requestID, person))
}

// ParseApprovalLink checks a token made by ApprovalLink and returns what it names.
func ParseApprovalLink(secret []byte, token string) (requestID, person string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 512 {
		return "", "", ErrBadLink
	}
	var fields [3][]byte
	for i, p := range parts {
		if fields[i], err = b64.DecodeString(p); err != nil {
			return "", "", ErrBadLink
		}
	}
	requestID, person = string(fields[0]), string(fields[1])
	if subtle.ConstantTimeCompare(fields[2], linkMAC(secret, requestID, person)) != 1 {
		return "", "", ErrBadLink
	}
	return requestID, person, nil
}

func linkMAC(secret []byte, requestID, person string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(canonical("seedgate-passkey-link-v1", []byte(requestID), []byte(person)))
	return mac.Sum(nil)[:18]
}

// PasskeyUserHandle is the WebAuthn user handle of a person: derived under the link secret, so
// it names nobody to anyone else and stays the same across restarts.
func PasskeyUserHandle(secret []byte, person string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(canonical("seedgate-passkey-user-v1", []byte(person)))
	return mac.Sum(nil)[:16]
}

// CheckPasskeyLinkSecret refuses a link secret too short to be one.
func CheckPasskeyLinkSecret(secret []byte) error {
	if len(secret) < 32 {
		return fmt.Errorf("crypto: passkey link secret has %d bytes, want at least 32", len(secret))
	}
	return nil
}
