package crypto

import (
	"crypto/ed25519"
	"fmt"
	"strings"
)

// EnrollmentProof shows that whoever enrols a device key holds it: a signature by the device's
// Ed25519 key over the Matrix user it is enrolled for, the gateway key it is enrolled with, and
// a fresh single-use nonce the gateway gave that user. Without it, anyone who saw a device's
// public line (it is public: it goes in configs and chats) could enrol it as theirs, and the
// real holder's signed votes would then count as that someone's.
//
//	sgproof1.<key id>.<ed25519 public>.<x25519 public>.<nonce>.<signature>
type EnrollmentProof struct {
	Key       DeviceKey
	Nonce     string
	Signature []byte
}

const proofPrefix = "sgproof1"

// proofGrammar is the exact form of a proof line.
var proofGrammar = lazyRegexp(`^sgproof1\.[0-9a-z]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{86}$`)

// proofLine finds a proof line in a message.
var proofLine = lazyRegexp(`sgproof1\.[A-Za-z0-9_.\-]{1,300}`)

// NewEnrollmentNonce is the gateway's fresh nonce for one enrolment: 128 random bits.
func NewEnrollmentNonce() string { return b64.EncodeToString(randomBytes(16)) }

// enrollmentStatement is what a proof signs. The user id and gateway key id are not in the
// line: the gateway supplies them, so a proof made for another user or gateway fails.
func enrollmentStatement(userID, gatewayID, nonce string, key DeviceKey) []byte {
	return canonical("seedgate-enroll-v1", []byte(userID), []byte(gatewayID), []byte(nonce),
		[]byte(key.ID), key.SignPub, key.BoxPub[:])
}

// ProveEnrollment signs the enrolment of this device for userID with the gateway whose key id
// is gatewayID, answering nonce.
func ProveEnrollment(dev *DevicePrivate, userID, gatewayID, nonce string) string {
	sig := ed25519.Sign(dev.signPriv, enrollmentStatement(userID, gatewayID, nonce, dev.DeviceKey))
	return strings.Join([]string{proofPrefix, dev.ID, b64.EncodeToString(dev.SignPub), b64.EncodeToString(dev.BoxPub[:]),
		nonce, b64.EncodeToString(sig)}, ".")
}

// FindEnrollmentProof returns the proof line in a message, or "".
func FindEnrollmentProof(text string) string {
	return proofLine().FindString(text)
}

// ParseEnrollmentProof reads a proof line; its key id must match its keys.
func ParseEnrollmentProof(line string) (*EnrollmentProof, error) {
	line = strings.TrimSpace(line)
	if !proofGrammar().MatchString(line) {
		return nil, fmt.Errorf("enrolment proof: want sgproof1.<id>.<ed25519>.<x25519>.<nonce>.<signature>: %w", ErrMalformed)
	}
	parts := strings.Split(line, ".")
	key, err := ParseEnrollment(strings.Join([]string{enrollmentPrefix, parts[1], parts[2], parts[3]}, "."))
	if err != nil {
		return nil, fmt.Errorf("enrolment proof: %w", err)
	}
	sig, err := b64.DecodeString(parts[5])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("enrolment proof: bad signature encoding: %w", ErrMalformed)
	}
	return &EnrollmentProof{Key: key, Nonce: parts[4], Signature: sig}, nil
}

// Verify checks the proof's signature for the user and gateway key enrolling it.
func (p *EnrollmentProof) Verify(userID, gatewayID string) error {
	if !ed25519.Verify(p.Key.SignPub, enrollmentStatement(userID, gatewayID, p.Nonce, p.Key), p.Signature) {
		return fmt.Errorf("enrolment proof: %w", ErrBadSignature)
	}
	return nil
}
