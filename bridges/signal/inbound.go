package signal

import (
	"context"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/backoff"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// Inbound reads the daemon's event stream: delivery receipts mark outbox messages delivered,
// and messages from approvers go to bridges.Replies, whose answer is sent back quoting them.
type Inbound struct {
	Client  *Client
	Store   *store.Store
	Replies *bridges.Replies
}

// Run reads events until ctx ends, reconnecting with back-off when the stream breaks.
func (in *Inbound) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Str("component", "signal").Logger()
	var retry backoff.Backoff
	for {
		started := time.Now()
		err := in.Client.Receive(ctx, func(e Envelope) { in.handle(log.WithContext(ctx), e) })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(started) > time.Minute {
			retry.Reset() // the stream held for a while: this is a new break
		}
		delay := retry.Next()
		log.Warn().Err(err).Dur("retry_in", delay).Msg("Signal event stream ended")
		if !backoff.Sleep(ctx, delay) {
			return ctx.Err()
		}
	}
}

func (in *Inbound) handle(ctx context.Context, e Envelope) {
	if e.ReceiptMessage != nil {
		in.receipt(ctx, e.SourceNumber, e.ReceiptMessage)
		return
	}
	if e.SyncMessage != nil || e.DataMessage == nil || e.SourceNumber == "" {
		return // our own other device, typing, calls: never a vote
	}
	dm := e.DataMessage
	msg := bridges.Incoming{Route: "signal", From: e.SourceNumber}
	switch {
	case dm.Reaction != nil && dm.Reaction.IsRemove:
		return
	case dm.Reaction != nil:
		msg.Text = dm.Reaction.Emoji // a reaction is never signed: it is answered as unsigned
		msg.RequestID = in.requestOf(ctx, e.SourceNumber, dm.Reaction.TargetSentTimestamp)
	case dm.Message != nil:
		msg.Text = *dm.Message
		if dm.Quote != nil {
			msg.RequestID = in.requestOf(ctx, e.SourceNumber, dm.Quote.ID)
		}
	default:
		return
	}
	answer, ok := in.Replies.Handle(ctx, msg)
	if !ok {
		return
	}
	quote := &Quote{Timestamp: dm.Timestamp, Author: e.SourceNumber}
	if _, err := in.Client.Send(ctx, e.SourceNumber, answer, quote); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Answering over Signal failed")
	}
}

// receipt marks the messages a delivery receipt names as delivered — only those sent to the
// number the receipt comes from. Timestamps are no secret (anyone the card's text reaches can
// guess them), so a receipt from anyone else would let them stop the fallback to the next
// route while the card never arrived.
func (in *Inbound) receipt(ctx context.Context, from string, r *ReceiptMessage) {
	if !r.IsDelivery && !r.IsRead {
		return
	}
	for _, stamp := range r.Timestamps {
		m, err := in.Store.FindOutboxByTransportID(ctx, "signal", strconv.FormatInt(stamp, 10))
		if err != nil || m.State != store.OutboxSent {
			continue
		}
		if from == "" || m.Recipient != from {
			zerolog.Ctx(ctx).Warn().Str("outbox_id", m.ID).Msg("Ignoring a Signal receipt from another number than the message went to")
			continue
		}
		metrics.DeliveryReceipts.Inc("signal", "delivered")
		if err = in.Store.UpdateOutbox(ctx, m.ID, store.OutboxUpdate{State: store.OutboxDelivered}); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("Recording a Signal receipt failed")
		}
	}
}

// requestOf returns the request of the message sent to from at stamp, or "".
func (in *Inbound) requestOf(ctx context.Context, from string, stamp int64) string {
	m, err := in.Store.FindOutboxByTransportID(ctx, "signal", strconv.FormatInt(stamp, 10))
	if err != nil || m.Recipient != from {
		return ""
	}
	return m.RequestID
}
