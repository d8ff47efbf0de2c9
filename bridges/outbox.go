package bridges

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// Transport is one courier (Signal, Twilio, RBM). Send hands over one message and returns
// the courier's id for it; it must not retry on its own: the outbox does.
type Transport interface {
	Route() string
	Send(ctx context.Context, m *store.OutboxMessage) (transportID string, err error)
}

// IDsInAdvance is a transport that names a message before sending it (RBM's messageId). The
// outbox records that name first, so a receipt that overtakes the send's answer finds it.
type IDsInAdvance interface {
	TransportID(m *store.OutboxMessage) string
}

// SendError says how a failed send should be treated.
type SendError struct {
	// Reason is a short constant word for logs and metrics: unregistered, untrusted,
	// rate_limited, network, rejected...
	Reason string
	// Permanent means retrying cannot help (the number is not on the service); Held means
	// a person must act first (re-trust a changed safety number) and the message waits.
	Permanent, Held bool
	// RetryAfter is the courier's own back-off, when it gave one.
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Outbox sends what the store holds, each message at most once at a time, retrying with
// exponential back-off and jitter until its budget is spent, then dead-lettering it with its
// reason. It survives restarts: what a crash left mid-send is sent again and counted.
type Outbox struct {
	Store      *store.Store
	Transports map[string]Transport
	// Budget is how many attempts a message gets; BaseDelay and MaxDelay bound the back-off.
	Budget              int
	BaseDelay, MaxDelay time.Duration
	// HeldDelay is how long a held message waits before it is tried again.
	HeldDelay time.Duration
	// Tick is how often the outbox looks for due messages when nothing pokes it.
	Tick time.Duration
	// Wanted, if set, is asked before each send; a message no longer wanted (its request was
	// decided) is dropped with a reason instead of sent.
	Wanted func(ctx context.Context, m *store.OutboxMessage) (bool, error)
	// OnSent, if set, is told of every message a courier took.
	OnSent func(ctx context.Context, m *store.OutboxMessage)

	poke chan struct{}
}

// NewOutbox returns an outbox with the default budget: 8 attempts, 2 s doubling to 5 min.
func NewOutbox(st *store.Store, transports ...Transport) *Outbox {
	o := &Outbox{Store: st, Transports: map[string]Transport{}, Budget: 8, BaseDelay: 2 * time.Second,
		MaxDelay: 5 * time.Minute, HeldDelay: 10 * time.Minute, Tick: time.Second, poke: make(chan struct{}, 1)}
	for _, t := range transports {
		o.Transports[t.Route()] = t
	}
	return o
}

// Enqueue writes one message for route and recipient, keyed so that the same card to the
// same person over the same route is written once, however often it is asked for.
func (o *Outbox) Enqueue(ctx context.Context, route, recipient, requestID, body, key string) (bool, error) {
	if o.Transports[route] == nil {
		return false, fmt.Errorf("outbox: no route named %q", route)
	}
	ok, err := o.Store.EnqueueOutbox(ctx, &store.OutboxMessage{
		ID: crypto.NewRequestID(), Route: route, Recipient: recipient, RequestID: requestID, Body: body,
		IdempotencyKey: key, NextAttempt: time.Now(),
	})
	if ok {
		o.Poke()
	}
	return ok, err
}

// Poke makes the outbox look for due messages now.
func (o *Outbox) Poke() {
	select {
	case o.poke <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Str("component", "outbox").Logger()
	released, err := o.Store.ReleaseSending(ctx, time.Now())
	if err != nil {
		return err
	}
	if released > 0 {
		log.Warn().Int("messages", released).Msg("Resending messages a crash left unconfirmed")
	}
	resent := released > 0
	ticker := time.NewTicker(o.Tick)
	defer ticker.Stop()
	for {
		if err = o.sendDue(ctx, log, resent); err != nil && ctx.Err() == nil {
			log.Error().Err(err).Msg("Outbox round failed")
		}
		resent = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		case <-o.poke:
		}
	}
}

// sendDue claims and sends what is due. afterCrash marks the first round after a restart,
// whose retries may be duplicates.
func (o *Outbox) sendDue(ctx context.Context, log zerolog.Logger, afterCrash bool) error {
	due, err := o.Store.ClaimDueOutbox(ctx, time.Now(), 50)
	if err != nil {
		return err
	}
	for _, m := range due {
		if afterCrash && m.Attempts > 1 {
			metrics.OutboxResent.Inc(m.Route)
		}
		o.attempt(ctx, log, m)
	}
	return nil
}

func (o *Outbox) attempt(ctx context.Context, log zerolog.Logger, m *store.OutboxMessage) {
	mlog := log.With().Str("route", m.Route).Str("message", m.ID).Str("request_id", m.RequestID).Int("attempt", m.Attempts).Logger()
	transport := o.Transports[m.Route]
	if transport == nil {
		o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxDead, LastError: "no_route: the route is no longer configured"})
		return
	}
	if o.Wanted != nil {
		if wanted, err := o.Wanted(ctx, m); err == nil && !wanted {
			mlog.Info().Msg("Message dropped: its request is no longer open")
			o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxDead, LastError: "cancelled: the request is no longer open"})
			return
		}
	}
	if named, ok := transport.(IDsInAdvance); ok {
		if err := o.Store.SetTransportID(ctx, m.ID, named.TransportID(m)); err != nil {
			mlog.Error().Err(err).Msg("Recording the courier's message id failed")
			o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxRetry, LastError: "store: " + err.Error(), NextAttempt: time.Now().Add(o.backoff(m.Attempts))})
			return
		}
	}
	metrics.DeliveryAttempts.Inc(m.Route)
	id, err := transport.Send(ctx, m)
	if err == nil {
		mlog.Debug().Str("transport_id", id).Msg("Courier took the message")
		o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxSent, TransportID: id})
		if o.OnSent != nil {
			o.OnSent(mlog.WithContext(ctx), m)
		}
		return
	}
	metrics.DeliveryFailures.Inc(m.Route)
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Reason: "error", Err: err}
	}
	reason := se.Reason + ": " + se.Err.Error()
	switch {
	case se.Permanent:
		metrics.OutboxDeadLetters.Inc(m.Route, se.Reason)
		mlog.Warn().Str("reason", se.Reason).Err(se.Err).Msg("Courier refused the message for good")
		o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxDead, LastError: reason})
	case se.Held:
		mlog.Warn().Str("reason", se.Reason).Err(se.Err).Msg("Message held until a person acts")
		o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxRetry, LastError: reason, NextAttempt: time.Now().Add(o.HeldDelay)})
	case m.Attempts >= o.Budget:
		metrics.OutboxDeadLetters.Inc(m.Route, "budget_spent")
		mlog.Warn().Str("reason", se.Reason).Err(se.Err).Msg("Message dead-lettered after its last attempt")
		o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxDead, LastError: fmt.Sprintf("budget_spent after %d attempts, last %s", m.Attempts, reason)})
	default:
		delay := max(o.backoff(m.Attempts), se.RetryAfter)
		mlog.Info().Str("reason", se.Reason).Err(se.Err).Dur("retry_in", delay).Msg("Send failed, will retry")
		o.finish(ctx, mlog, m, store.OutboxUpdate{State: store.OutboxRetry, LastError: reason, NextAttempt: time.Now().Add(delay)})
	}
}

func (o *Outbox) finish(ctx context.Context, log zerolog.Logger, m *store.OutboxMessage, u store.OutboxUpdate) {
	if u.NextAttempt.IsZero() {
		u.NextAttempt = time.Now()
	}
	if err := o.Store.UpdateOutbox(ctx, m.ID, u); err != nil {
		log.Error().Err(err).Msg("Recording a send attempt failed")
	}
}

// backoff is BaseDelay doubled per attempt, capped at MaxDelay, with "equal jitter": half
// fixed, half random, so retries of many messages spread out.
func (o *Outbox) backoff(attempt int) time.Duration {
	d := o.BaseDelay << min(attempt-1, 20)
	if d <= 0 || d > o.MaxDelay {
		d = o.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}
