package bridges

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

// brokerNotifier posts cards with the inner notifier (the Matrix bot) and hands them to the
// broker too; a courier's trouble never stops the card.
type brokerNotifier struct {
	approval.Notifier
	broker *Broker
}

// WithBroker returns a notifier that also dispatches every new card through b.
func WithBroker(inner approval.Notifier, b *Broker) approval.Notifier {
	return &brokerNotifier{Notifier: inner, broker: b}
}

// PostCard posts the card, then writes the requests it shows to the outbox for the people
// reached by couriers. When Matrix fails, every request given goes to the couriers anyway
// (the outbox keeps one message per request and person, however often it is handed one).
func (n *brokerNotifier) PostCard(ctx context.Context, reqs []*store.Request, thread string) (approval.Posted, error) {
	posted, err := n.Notifier.PostCard(ctx, reqs, thread)
	shown := reqs
	if err == nil {
		shown = reqs[:min(max(posted.Count, 0), len(reqs))]
	}
	if derr := n.broker.Dispatch(ctx, shown); derr != nil {
		zerolog.Ctx(ctx).Error().Err(derr).Msg("Handing a card to the couriers failed")
	}
	return posted, err
}
