package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// seedAttempts is how often a card's seed reactions are tried before they are given up: they
// only save the approver from typing the reaction themselves.
const seedAttempts = 3

// seedQueue holds the cards whose ✅ and ❌ the bot has yet to put under them, so an approver
// can answer with one tap. They are sent after PostCard returns, not before: each is a round
// trip (about 30 ms on Dendrite), and the card's record, and everything after it, would wait
// for two of them.
type seedQueue struct {
	cards chan seedCard
	pause time.Duration // between attempts
}

type seedCard struct {
	room id.RoomID
	card id.EventID
}

func newSeedQueue() *seedQueue {
	return &seedQueue{cards: make(chan seedCard, 256), pause: time.Second}
}

// add queues card's seed reactions; it waits only while the queue is full.
func (q *seedQueue) add(ctx context.Context, room id.RoomID, card id.EventID) {
	select {
	case q.cards <- seedCard{room: room, card: card}:
	case <-ctx.Done():
	}
}

// seedCards sends the queued cards' seed reactions, in the order the cards were posted, until
// ctx ends.
func (b *Bot) seedCards(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-b.seeds.cards:
			b.seedCard(ctx, c)
		}
	}
}

func (b *Bot) seedCard(ctx context.Context, c seedCard) {
	for attempt := 1; ; attempt++ {
		err := b.sendSeeds(ctx, c)
		if err == nil || ctx.Err() != nil {
			return
		}
		if attempt == seedAttempts {
			zerolog.Ctx(ctx).Warn().Err(err).Stringer("card", c.card).Int("tries", attempt).
				Msg("Seeding a card's reactions failed; approvers can still add them")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.seeds.pause):
		}
	}
}

// sendSeeds sends both reactions, each under a transaction id of its own: a retry after a
// lost answer is the same event, not a second one.
func (b *Bot) sendSeeds(ctx context.Context, c seedCard) error {
	for _, key := range []string{reactApprove, reactDeny} {
		reaction := &event.ReactionEventContent{RelatesTo: event.RelatesTo{Type: event.RelAnnotation, EventID: c.card, Key: key}}
		if _, err := b.client.SendMessageEvent(ctx, c.room, event.EventReaction, reaction,
			mautrix.ReqSendEvent{TransactionID: seedTxnID(c.card, key)}); err != nil {
			return err
		}
	}
	return nil
}

// seedTxnID names the bot's own seed reaction on a card: derived from the card and the key, so
// every retry sends it under the same transaction id.
func seedTxnID(card id.EventID, key string) string {
	sum := sha256.Sum256([]byte(card.String() + "\x00" + key))
	return "sg-seed-" + hex.EncodeToString(sum[:16])
}
