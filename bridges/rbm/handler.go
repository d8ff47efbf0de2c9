package rbm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// WebhookPath is the agent's webhook under bridges.public_url.
const WebhookPath = "/rbm"

// maxPushBody bounds a push; user messages are small, and a card is at most 250 KB.
const maxPushBody = 512 << 10

// retryWindow is how long Google retries a push: ids are remembered a day longer.
const retryWindow = 8 * 24 * time.Hour

// Webhook serves the agent's webhook: the verification handshake, then signed pushes of
// replies, tapped chips and delivery receipts, each taken once however often Google retries.
type Webhook struct {
	Verifier *Verifier
	Store    *store.Store
	Replies  *bridges.Replies
	Client   *Client // answers replies
	Log      zerolog.Logger
}

// ServeHTTP answers one webhook call.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxPushBody))
	if err != nil {
		metrics.CourierInbound.Inc("rbm", "oversized")
		http.Error(rw, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	ctx := w.Log.WithContext(r.Context())
	signature := r.Header.Get("X-Goog-Signature")
	if signature == "" {
		w.handshake(rw, body)
		return
	}
	evt, id, err := w.Verifier.Verify(body, signature)
	switch {
	case errors.Is(err, ErrBadSignature):
		metrics.CourierInbound.Inc("rbm", "forged")
		w.Log.Warn().Str("remote", r.RemoteAddr).Msg("RBM push with a bad signature refused")
		http.Error(rw, "bad signature", http.StatusForbidden)
		return
	case err != nil:
		metrics.CourierInbound.Inc("rbm", "malformed")
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	first, err := w.Store.FirstSighting(ctx, "rbm", id, time.Now(), retryWindow)
	if err != nil {
		http.Error(rw, "try again", http.StatusServiceUnavailable) // Google retries
		return
	}
	if !first {
		metrics.CourierInbound.Inc("rbm", "duplicate")
		rw.WriteHeader(http.StatusOK)
		return
	}
	if evt.EventType != "" {
		w.receipt(ctx, evt)
	} else {
		w.message(ctx, evt)
	}
	rw.WriteHeader(http.StatusOK)
}

// handshake answers Google's webhook verification with its secret.
func (w *Webhook) handshake(rw http.ResponseWriter, body []byte) {
	secret, err := w.Verifier.Handshake(body)
	if err != nil {
		metrics.CourierInbound.Inc("rbm", "forged")
		http.Error(rw, "unsigned push or bad handshake", http.StatusForbidden)
		return
	}
	rw.Header().Set("Content-Type", "text/plain")
	_, _ = rw.Write([]byte(secret))
}

// receipt marks the outbox message a DELIVERED or READ event names.
func (w *Webhook) receipt(ctx context.Context, evt *Event) {
	if evt.EventType != "DELIVERED" && evt.EventType != "READ" {
		return
	}
	m, err := w.Store.FindOutboxByTransportID(ctx, "rbm", evt.MessageID)
	if err != nil {
		return // an answer's receipt, or a message we no longer know
	}
	metrics.DeliveryReceipts.Inc("rbm", strings.ToLower(evt.EventType))
	if err = w.Store.UpdateOutbox(ctx, m.ID, store.OutboxUpdate{State: store.OutboxDelivered}); err != nil {
		w.Log.Error().Err(err).Msg("Recording an RBM receipt failed")
	}
}

// message hands a reply or a tapped chip to Replies and sends the answer back.
func (w *Webhook) message(ctx context.Context, evt *Event) {
	msg := bridges.Incoming{Route: "rbm", From: evt.SenderPhoneNumber, Text: evt.Text}
	if s := evt.SuggestionResponse; s != nil {
		msg.Text = s.Text
		_, msg.RequestID, _ = strings.Cut(s.PostbackData, ":")
	}
	answer, ok := w.Replies.Handle(ctx, msg)
	if !ok || w.Client == nil {
		return
	}
	if err := w.Client.Send(ctx, AgentMessage{Phone: evt.SenderPhoneNumber, MessageID: MessageID("answer:" + crypto.NewRequestID()), Text: answer}); err != nil {
		w.Log.Warn().Err(err).Msg("Answering over RBM failed")
	}
}
