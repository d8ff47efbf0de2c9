package bridges

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// Broker hands every card to the people who are reached away from Matrix, one route at a
// time in the order their config gives: the first route gets it at once; the next gets it
// when the one before fails for good, reports it undelivered, or gives no delivery receipt
// within ReceiptTimeout. What any route carries is the same: the request id and the
// challenges sealed to that person's enrolled devices — never the torrent, its hash or host.
type Broker struct {
	Config *config.Config
	Store  *store.Store
	Outbox *Outbox
	// Keys says which device keys each person has: a courier carries only their challenges.
	Keys *approval.Keyring
	// Tick is how often routes are checked for fallback.
	Tick time.Duration
	// PasskeyLink, when passkeys are served, is a request's passkey page made for one person:
	// it shows the request only to that person's passkey, so a courier may carry it.
	PasskeyLink func(requestID, person string) string
}

// NewBroker returns a broker over outbox, and makes the outbox drop what was meant for a
// request that is no longer open. mirror, if not nil, is told of every card a courier took.
func NewBroker(cfg *config.Config, st *store.Store, outbox *Outbox, mirror Mirror) *Broker {
	b := &Broker{Config: cfg, Store: st, Outbox: outbox, Keys: approval.NewKeyring(cfg, st), Tick: time.Second}
	outbox.Wanted = b.wanted
	if mirror != nil {
		outbox.OnSent = func(ctx context.Context, m *store.OutboxMessage) {
			if person, _, ok := parseRouteKey(m.RequestID, m.IdempotencyKey); ok {
				mirror.CourierSent(ctx, m.RequestID, person, m.Route)
			}
		}
	}
	return b
}

// Dispatch enqueues each request for the first route of each of its approvers who has routes.
// Enqueueing is idempotent, so a card posted again is not sent again.
func (b *Broker) Dispatch(ctx context.Context, reqs []*store.Request) error {
	for _, req := range reqs {
		for _, person := range b.people(req) {
			if _, err := b.enqueue(ctx, req, person, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// people are the request's approvers that have routes.
func (b *Broker) people(req *store.Request) []config.Approver {
	var out []config.Approver
	for _, person := range b.Config.Approvers {
		if len(person.Routes) > 0 && (len(req.Approvers) == 0 || slices.Contains(req.Approvers, person.Name)) {
			out = append(out, person)
		}
	}
	return out
}

// enqueue writes the request's message for person's route number step.
func (b *Broker) enqueue(ctx context.Context, req *store.Request, person config.Approver, step int) (bool, error) {
	challenges, err := b.Store.ListChallenges(ctx, req.ID)
	if err != nil {
		return false, err
	}
	keys, err := b.Keys.KeysOf(ctx, person.Name)
	if err != nil {
		return false, err
	}
	keyIDs := map[string]bool{}
	for _, k := range keys {
		keyIDs[k.Key.ID] = true
	}
	link := ""
	if b.PasskeyLink != nil {
		link = b.PasskeyLink(req.ID, person.Name)
	}
	body := CourierBody(req, keyIDs, challenges, link)
	if body == "" {
		zerolog.Ctx(ctx).Debug().Str("approver", person.Name).Msg("No enrolled device key and no passkeys: nothing a courier could carry would count")
		return false, nil
	}
	route := person.Routes[step]
	return b.Outbox.Enqueue(ctx, route.Via, route.To, req.ID, body, routeKey(req.ID, person.Name, step))
}

// routeKey is the outbox idempotency key of one request, person and step.
func routeKey(requestID, person string, step int) string {
	return requestID + "/" + person + "/" + strconv.Itoa(step)
}

// parseRouteKey reads routeKey back.
func parseRouteKey(requestID, key string) (person string, step int, ok bool) {
	rest, found := strings.CutPrefix(key, requestID+"/")
	cut := strings.LastIndexByte(rest, '/')
	if !found || cut < 0 {
		return "", 0, false
	}
	step, err := strconv.Atoi(rest[cut+1:])
	return rest[:cut], step, err == nil
}

// Run checks for fallbacks until ctx ends.
func (b *Broker) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Str("component", "broker").Logger()
	ticker := time.NewTicker(b.Tick)
	defer ticker.Stop()
	for {
		if err := b.FallBack(log.WithContext(ctx), time.Now()); err != nil && ctx.Err() == nil {
			log.Error().Err(err).Msg("Checking routes for fallback failed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// FallBack passes every open request on to the next route of each person whose current
// route has failed, or has not confirmed delivery within the receipt timeout.
func (b *Broker) FallBack(ctx context.Context, now time.Time) error {
	reqs, err := b.Store.ListRequests(ctx, store.RequestPending)
	if err != nil {
		return err
	}
	msgs, err := b.Store.ListOutboxOfRequestsIn(ctx, store.RequestPending)
	if err != nil {
		return err
	}
	byRequest := map[string][]*store.OutboxMessage{}
	for _, m := range msgs {
		byRequest[m.RequestID] = append(byRequest[m.RequestID], m)
	}
	for _, req := range reqs {
		latest := map[string]*store.OutboxMessage{}
		steps := map[string]int{}
		for _, m := range byRequest[req.ID] {
			person, step, ok := parseRouteKey(req.ID, m.IdempotencyKey)
			if ok && (latest[person] == nil || step > steps[person]) {
				latest[person], steps[person] = m, step
			}
		}
		for _, person := range b.people(req) {
			m := latest[person.Name]
			if m == nil {
				continue
			}
			reason := b.giveUpReason(m, now)
			if reason == "" || steps[person.Name]+1 >= len(person.Routes) {
				continue
			}
			next := person.Routes[steps[person.Name]+1]
			added, err := b.enqueue(ctx, req, person, steps[person.Name]+1)
			if err != nil {
				return err
			}
			if added {
				metrics.DeliveryFallbacks.Inc(m.Route, reason)
				zerolog.Ctx(ctx).Warn().Str("request_id", req.ID).Str("approver", person.Name).Str("from", m.Route).
					Str("to", next.Via).Str("reason", reason).Msg("Falling back to the next route")
			}
		}
	}
	return nil
}

// giveUpReason says why m's route should be given up, or "" while it may still deliver.
func (b *Broker) giveUpReason(m *store.OutboxMessage, now time.Time) string {
	timeout := b.Config.Bridges.ReceiptTimeout.D()
	switch m.State {
	case store.OutboxDead:
		return "dead"
	case store.OutboxFailed:
		return "undelivered"
	case store.OutboxDelivered:
		return ""
	case store.OutboxSent:
		if now.Sub(m.UpdatedAt) > timeout {
			return "no_receipt"
		}
	default: // pending, retrying, held, or being sent
		if now.Sub(m.CreatedAt) > timeout {
			return "not_sent"
		}
	}
	return ""
}

// wanted stops the outbox sending what belongs to a request that is no longer open.
func (b *Broker) wanted(ctx context.Context, m *store.OutboxMessage) (bool, error) {
	req, err := b.Store.GetRequest(ctx, m.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return req.State == store.RequestPending, nil
}

// CourierBody is the message for one person: the request id, their passkey link (which shows
// the request only to their passkey) and the challenges sealed to their enrolled devices
// (keyIDs); "" when there is neither (nothing a courier carries would count).
func CourierBody(req *store.Request, keyIDs map[string]bool, challenges []*store.Challenge, passkeyLink string) string {
	var blobs []string
	for _, ch := range challenges {
		if keyIDs[ch.KeyID] {
			blobs = append(blobs, ch.Blob)
		}
	}
	if len(blobs) == 0 && passkeyLink == "" {
		return ""
	}
	body := "seedgate: approval request " + req.ID + "."
	if passkeyLink != "" {
		body += " Approve or deny with your passkey: " + passkeyLink
	}
	if len(blobs) > 0 {
		body += fmt.Sprintf(" Its details are sealed to your device: open them with "+
			"`seedgate device open`, then reply with the signed line from `seedgate device approve` (or `deny`). "+
			"Unsigned replies do not count.\n%s", strings.Join(blobs, "\n"))
	}
	return body
}
