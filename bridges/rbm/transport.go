package rbm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/store"
)

// Transport is the outbox's RBM route. Each outbox message has one RBM messageId, derived
// from its id, so a send retried after a crash is delivered once.
type Transport struct {
	Client *Client
	TTL    time.Duration
}

var (
	_ bridges.Transport    = (*Transport)(nil)
	_ bridges.IDsInAdvance = (*Transport)(nil)
)

// TransportID is the RBM messageId of m, known before it is sent.
func (t *Transport) TransportID(m *store.OutboxMessage) string { return MessageID(m.ID) }

// Route names the route in the outbox and the config.
func (t *Transport) Route() string { return "rbm" }

// Send posts the card with Approve/Deny chips. The chips show the choice; they are not
// signed, so tapping one is answered with how to send a signed reply.
func (t *Transport) Send(ctx context.Context, m *store.OutboxMessage) (string, error) {
	id := MessageID(m.ID)
	err := t.Client.Send(ctx, AgentMessage{Phone: m.Recipient, MessageID: id, Text: m.Body, TTL: t.TTL,
		Suggestions: []Suggestion{{Text: "Approve", PostbackData: "approve:" + m.RequestID}, {Text: "Deny", PostbackData: "deny:" + m.RequestID}}})
	var apiErr *APIError
	switch {
	case err == nil:
		return id, nil
	case !errors.As(err, &apiErr):
		return "", &bridges.SendError{Reason: "network", Err: err}
	case apiErr.Code == http.StatusNotFound:
		return "", &bridges.SendError{Reason: "not_rcs", Permanent: true, Err: err} // the phone cannot get RCS: fall back
	case apiErr.Code == http.StatusTooManyRequests:
		return "", &bridges.SendError{Reason: "rate_limited", Err: err}
	case apiErr.Code == http.StatusUnauthorized:
		return "", &bridges.SendError{Reason: "auth", Err: err}
	case apiErr.Code >= 500:
		return "", &bridges.SendError{Reason: "rbm_error", Err: err}
	default: // 400 unsupported, 403 agent not launched or phone not a tester
		return "", &bridges.SendError{Reason: "rejected", Permanent: true, Err: err}
	}
}

// MessageID is the RBM messageId (a UUID) of an outbox message: the same for every attempt.
func MessageID(outboxID string) string {
	h := sha256.Sum256([]byte("seedgate-rbm-message-id:" + outboxID))
	h[6] = h[6]&0x0f | 0x50 // version 5-style: name-based
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
