package bot

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"
)

// redrawPause is the least time between two rounds of digest redraws: the votes and actions
// of that long are drawn in one edit per card.
const redrawPause = 300 * time.Millisecond

// redrawAttempts is how often one card's redraw is tried before it is given up (the next
// change of any of its items tries again).
const redrawAttempts = 5

// digestRedraws collects the digest cards whose items changed and redraws each once per round.
// Deciding a burst of a thousand items changes a thousand requests, one after the other;
// redrawing their cards each time would be a thousand edits of a few dozen cards, and just
// as many lines in every approver's client.
type digestRedraws struct {
	mu    sync.Mutex
	dirty map[id.EventID]redraw
	wake  chan struct{}
}

type redraw struct {
	room  id.RoomID
	tries int
}

func newDigestRedraws() *digestRedraws {
	return &digestRedraws{dirty: map[id.EventID]redraw{}, wake: make(chan struct{}, 1)}
}

// mark asks for card to be redrawn in the next round.
func (q *digestRedraws) mark(room id.RoomID, card id.EventID) {
	q.mu.Lock()
	q.dirty[card] = redraw{room: room}
	q.mu.Unlock()
	q.signal()
}

// take returns the cards marked since the last round and clears them.
func (q *digestRedraws) take() map[id.EventID]redraw {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.dirty
	q.dirty = map[id.EventID]redraw{}
	return out
}

// retry marks a card whose redraw failed for the next round, unless it was tried too often
// (or is marked again anyway).
func (q *digestRedraws) retry(card id.EventID, r redraw) {
	q.mu.Lock()
	_, again := q.dirty[card]
	if !again && r.tries+1 < redrawAttempts {
		q.dirty[card] = redraw{room: r.room, tries: r.tries + 1}
	}
	q.mu.Unlock()
	q.signal()
}

func (q *digestRedraws) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// redrawDigests runs the rounds until ctx ends.
func (b *Bot) redrawDigests(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.redraws.wake:
		}
		for card, r := range b.redraws.take() {
			if err := b.redrawDigest(ctx, r.room, card); err != nil {
				log.Warn().Err(err).Stringer("card", card).Int("tries", r.tries+1).Msg("Redrawing digest card failed")
				b.redraws.retry(card, r)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(redrawPause):
		}
	}
}
