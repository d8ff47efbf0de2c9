package crypto

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignedVote is a vote signed by a device key: a line a person can send from any messenger,
//
//	sg1.vote.<request id>.<approve|deny>.<expiry unix>.<binding digest>.<token>.<key id>.<signature>
//
// The signature covers the request id, the decision, the binding digest, the expiry and the
// challenge token, so a courier can neither forge it nor move it to another request, torrent,
// action, client or host, and the token makes it usable once.
type SignedVote struct {
	RequestID string
	Decision  string
	ExpiresAt time.Time
	Binding   []byte
	Token     []byte
	KeyID     string
	Signature []byte
}

const (
	votePrefix = "sg1.vote."
	// MaxVoteLen bounds what the parser reads; a vote line is about 230 characters.
	MaxVoteLen = 512
)

var voteLine = lazyRegexp(`sg1\.vote\.[A-Za-z0-9_.\-]{1,500}`)

// voteGrammar is the exact form of a vote line. It is checked before anything is decoded, so a
// line has one spelling: no stray characters (Go's base64 skips newlines), no leading zeros.
var voteGrammar = lazyRegexp(`^sg1\.vote\.[0-9a-z]{1,64}\.(approve|deny)\.[1-9][0-9]{0,18}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22,86}\.[0-9a-z]{16}\.[A-Za-z0-9_-]{86}$`)

// FindVotes returns the vote lines in a message, so a reply can carry one among other words.
func FindVotes(text string) []string {
	return voteLine().FindAllString(text, 4)
}

func voteSignedBytes(requestID, decision string, binding []byte, exp int64, token []byte) []byte {
	return canonical("seedgate-vote-v1", []byte(requestID), []byte(decision), binding, u64(exp), token)
}

// SignVote answers an opened challenge with a decision ("approve" or "deny").
func SignVote(dev *DevicePrivate, c *Challenge, decision string) (string, error) {
	if decision != "approve" && decision != "deny" {
		return "", fmt.Errorf("vote: decision must be approve or deny, not %q", decision)
	}
	v := &SignedVote{RequestID: c.RequestID, Decision: decision, ExpiresAt: c.ExpiresAt, Binding: c.Binding.Digest(), Token: c.Token, KeyID: dev.ID}
	v.Signature = ed25519.Sign(dev.signPriv, voteSignedBytes(v.RequestID, decision, v.Binding, v.ExpiresAt.Unix(), v.Token))
	return v.String(), nil
}

// String is the vote's line; ParseVote(v.String()) gives v back, and each vote has one line.
func (v *SignedVote) String() string {
	return strings.Join([]string{"sg1", "vote", v.RequestID, v.Decision, strconv.FormatInt(v.ExpiresAt.Unix(), 10),
		b64.EncodeToString(v.Binding), b64.EncodeToString(v.Token), v.KeyID, b64.EncodeToString(v.Signature)}, ".")
}

// ParseVote reads a vote line.
func ParseVote(line string) (*SignedVote, error) {
	line = strings.TrimSpace(line)
	if len(line) > MaxVoteLen {
		return nil, fmt.Errorf("signed vote: longer than %d characters: %w", MaxVoteLen, ErrMalformed)
	}
	if !strings.HasPrefix(line, votePrefix) {
		return nil, fmt.Errorf("signed vote: does not start with %s: %w", votePrefix, ErrMalformed)
	}
	if !voteGrammar().MatchString(line) {
		return nil, fmt.Errorf("signed vote: not of the form sg1.vote.<request>.<approve|deny>.<expiry>.<binding>.<token>.<key id>.<signature>: %w", ErrMalformed)
	}
	parts := strings.Split(line, ".")
	if len(parts) != 9 {
		return nil, fmt.Errorf("signed vote: %d fields, want 9: %w", len(parts), ErrMalformed)
	}
	v := &SignedVote{RequestID: parts[2], Decision: parts[3], KeyID: parts[7]}
	if v.RequestID == "" || len(v.RequestID) > 64 {
		return nil, fmt.Errorf("signed vote: bad request id: %w", ErrMalformed)
	}
	if v.Decision != "approve" && v.Decision != "deny" {
		return nil, fmt.Errorf("signed vote: decision must be approve or deny: %w", ErrMalformed)
	}
	exp, err := strconv.ParseInt(parts[4], 10, 64)
	if err != nil || exp <= 0 {
		return nil, fmt.Errorf("signed vote: bad expiry: %w", ErrMalformed)
	}
	v.ExpiresAt = time.Unix(exp, 0)
	var err1, err2, err3 error
	v.Binding, err1 = b64.DecodeString(parts[5])
	v.Token, err2 = b64.DecodeString(parts[6])
	v.Signature, err3 = b64.DecodeString(parts[8])
	if err1 != nil || err2 != nil || err3 != nil || len(v.Binding) != 32 || len(v.Token) < 16 || len(v.Token) > 64 ||
		len(v.Signature) != ed25519.SignatureSize || !validKeyID(v.KeyID) {
		return nil, fmt.Errorf("signed vote: bad field encoding: %w", ErrMalformed)
	}
	return v, nil
}

// VerifySignature checks the vote's signature with the enrolled key it names.
func (v *SignedVote) VerifySignature(key DeviceKey) error {
	if key.ID != v.KeyID {
		return fmt.Errorf("signed vote: by key %s: %w", v.KeyID, ErrUnknownKey)
	}
	if !ed25519.Verify(key.SignPub, voteSignedBytes(v.RequestID, v.Decision, v.Binding, v.ExpiresAt.Unix(), v.Token), v.Signature) {
		return fmt.Errorf("signed vote: %w", ErrBadSignature)
	}
	return nil
}

// CheckBinding checks a verified vote against the request it is offered for: the same request,
// the same binding, and not expired. Single use is the store's to enforce (see TokenHash).
func (v *SignedVote) CheckBinding(requestID string, b Binding, expiresAt, now time.Time) error {
	switch {
	case v.RequestID != requestID:
		return fmt.Errorf("signed vote for request %s offered for %s: %w", v.RequestID, requestID, ErrWrongRequest)
	case string(v.Binding) != string(b.Digest()):
		return fmt.Errorf("signed vote: %w", ErrWrongBinding)
	case v.ExpiresAt.Unix() != expiresAt.Unix():
		return fmt.Errorf("signed vote: expiry does not match the request's: %w", ErrWrongBinding)
	case !now.Before(expiresAt):
		return fmt.Errorf("signed vote: request expired at %s: %w", expiresAt.UTC().Format(time.RFC3339), ErrExpired)
	}
	return nil
}
