package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/store"
)

// Transport is the outbox's Twilio route. Twilio offers no idempotency key, so a send retried
// after a crash may arrive twice; the outbox counts such resends.
type Transport struct {
	Client *Client
	// StatusURL is where Twilio reports each message's status (…/twilio/status).
	StatusURL string
	Validity  time.Duration
}

var _ bridges.Transport = (*Transport)(nil)

// Route names the route in the outbox and the config.
func (t *Transport) Route() string { return "twilio" }

// Send sends one message over RCS only (sealed or not, a card never falls back to SMS) and
// asks for status callbacks naming the outbox message.
func (t *Transport) Send(ctx context.Context, m *store.OutboxMessage) (string, error) {
	msg, err := t.Client.Send(ctx, Outgoing{To: m.Recipient, Body: m.Body, RCSOnly: true,
		StatusCallback: t.StatusURL + "?m=" + url.QueryEscape(m.ID), Validity: t.Validity})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		if err != nil {
			return "", &bridges.SendError{Reason: "network", Err: err}
		}
		return msg.SID, nil
	}
	switch {
	case apiErr.Status == http.StatusTooManyRequests || apiErr.Code == 20429:
		return "", &bridges.SendError{Reason: "rate_limited", RetryAfter: apiErr.RetryAfter, Err: err}
	case apiErr.Status == http.StatusUnauthorized || apiErr.Code == 20003:
		return "", &bridges.SendError{Reason: "auth", Err: err} // a config fault: retried while it is fixed
	case apiErr.Status >= 500:
		return "", &bridges.SendError{Reason: "twilio_error", Err: err}
	default: // 21211 invalid To, 21610 opted out, 21617 too long...: retrying cannot help
		return "", &bridges.SendError{Reason: "rejected", Permanent: true, Err: err}
	}
}
