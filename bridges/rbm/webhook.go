// Package rbm carries cards over RCS through Google's RCS Business Messaging: agent messages
// with Approve/Deny chips and a TTL, sent with a service account's OAuth token, and a webhook
// for replies and receipts. This file authenticates the webhook: the verification handshake
// and X-Goog-Signature on every push.
package rbm

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// ErrBadSignature is returned for a push whose X-Goog-Signature does not match.
var ErrBadSignature = errors.New("X-Goog-Signature does not match")

// Verifier authenticates pushes with the agent's client token.
type Verifier struct {
	ClientToken string
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
// client token) and returns its event and the id to deduplicate it by: Google retries a push
// until it gets a 200, for up to seven days.
func (v *Verifier) Verify(body []byte, signature string) (*Event, string, error) {
	var push Push
	if err := json.Unmarshal(body, &push); err != nil || push.Message.Data == "" {
		return nil, "", fmt.Errorf("rbm: malformed push")
	}
	data, err := base64.StdEncoding.DecodeString(push.Message.Data)
	if err != nil {
		return nil, "", fmt.Errorf("rbm: malformed push data: %w", err)
	}
	mac := hmac.New(sha512.New, []byte(v.ClientToken))
	mac.Write(data)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return nil, "", ErrBadSignature
	}
	var evt Event
	if err = json.Unmarshal(data, &evt); err != nil {
		return nil, "", fmt.Errorf("rbm: malformed event: %w", err)
	}
	id := evt.MessageID + "/" + evt.EventID
	if id == "/" {
		id = push.Message.MessageID
	}
	return &evt, id, nil
}
