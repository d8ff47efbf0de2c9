// Package rbm will carry cards over RCS through Google's RCS Business Messaging. This file
// authenticates its webhook: the verification handshake, X-Goog-Signature on every push, and
// duplicate pushes (Google retries a push for up to seven days until it gets a 200).
package rbm

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Push is the Pub/Sub-style envelope of a webhook call.
type Push struct {
	Message struct {
		Data        string `json:"data"`
		MessageID   string `json:"messageId"`
		PublishTime string `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// Event is the decoded data of a push: a user message, a chip tapped, or a receipt.
type Event struct {
	SenderPhoneNumber  string `json:"senderPhoneNumber"`
	MessageID          string `json:"messageId"`
	EventID            string `json:"eventId"`
	EventType          string `json:"eventType"` // DELIVERED, READ, IS_TYPING
	SendTime           string `json:"sendTime"`
	AgentID            string `json:"agentId"`
	Text               string `json:"text"`
	SuggestionResponse *struct {
		PostbackData string `json:"postbackData"`
		Text         string `json:"text"`
		Type         string `json:"type"`
	} `json:"suggestionResponse,omitempty"`
}

var (
	// ErrBadSignature is returned for a push whose X-Goog-Signature does not match.
	ErrBadSignature = errors.New("X-Goog-Signature does not match")
	// ErrDuplicate is returned for a push already accepted (a retry or a replay).
	ErrDuplicate = errors.New("push already processed")
)

// Verifier authenticates pushes with the agent's client token and remembers what it accepted.
type Verifier struct {
	ClientToken string
	// Remember is how long accepted ids are kept: longer than Google's seven days of retries.
	Remember time.Duration

	mu   sync.Mutex
	seen map[string]time.Time
}

// Handshake answers Google's webhook verification: the secret when the client token matches.
func (v *Verifier) Handshake(body []byte) (string, error) {
	var h struct {
		ClientToken string `json:"clientToken"`
		Secret      string `json:"secret"`
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Secret == "" {
		return "", fmt.Errorf("rbm: not a verification request")
	}
	if subtle.ConstantTimeCompare([]byte(h.ClientToken), []byte(v.ClientToken)) != 1 {
		return "", ErrBadSignature
	}
	return h.Secret, nil
}

// Verify checks a push's signature (base64 HMAC-SHA512 of the decoded data, keyed with the
// client token), refuses one already accepted, and returns its event.
func (v *Verifier) Verify(body []byte, signature string, now time.Time) (*Event, error) {
	var push Push
	if err := json.Unmarshal(body, &push); err != nil || push.Message.Data == "" {
		return nil, fmt.Errorf("rbm: malformed push")
	}
	data, err := base64.StdEncoding.DecodeString(push.Message.Data)
	if err != nil {
		return nil, fmt.Errorf("rbm: malformed push data: %w", err)
	}
	mac := hmac.New(sha512.New, []byte(v.ClientToken))
	mac.Write(data)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return nil, ErrBadSignature
	}
	var evt Event
	if err = json.Unmarshal(data, &evt); err != nil {
		return nil, fmt.Errorf("rbm: malformed event: %w", err)
	}
	id := evt.MessageID + "/" + evt.EventID
	if id == "/" {
		id = push.Message.MessageID
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string]time.Time{}
	}
	for seenID, at := range v.seen {
		if now.Sub(at) > v.remember() {
			delete(v.seen, seenID)
		}
	}
	if _, dup := v.seen[id]; dup {
		return nil, ErrDuplicate
	}
	v.seen[id] = now
	return &evt, nil
}

func (v *Verifier) remember() time.Duration {
	if v.Remember > 0 {
		return v.Remember
	}
	return 8 * 24 * time.Hour
}
