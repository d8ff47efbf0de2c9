package bot

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// recentCardLookback is how many of a card room's latest events the bot reads back at start.
// A card the previous run sent but had no time to record is among the last few.
const recentCardLookback = 100

// sentCards remembers the cards this run sent or read back at start: where each is and which
// requests it shows. A vote on a card seedgate has not recorded yet still finds its requests,
// and a card the previous run sent but never recorded is adopted instead of sent again.
type sentCards struct {
	mu        sync.Mutex
	cards     map[id.EventID]sentCard
	byRequest map[string]id.EventID // request id -> its newest card
}

type sentCard struct {
	room     id.RoomID
	reqIDs   []string // in card order
	readBack bool     // sent by the previous run, found at start
}

func (c *sentCards) remember(room id.RoomID, card id.EventID, reqIDs []string, readBack bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cards == nil {
		c.cards, c.byRequest = map[id.EventID]sentCard{}, map[string]id.EventID{}
	}
	c.cards[card] = sentCard{room: room, reqIDs: reqIDs, readBack: readBack}
	for _, r := range reqIDs {
		c.byRequest[r] = card
	}
}

// requestsOn returns the requests a card the bot sent shows, or nil for any other event.
func (c *sentCards) requestsOn(card id.EventID) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cards[card].reqIDs
}

// adoptable returns the card the previous run sent in room for exactly these requests, if
// start-up read one back. (A card of this run that failed to record is sent again under the
// same transaction id, which the homeserver still holds.)
func (c *sentCards) adoptable(room id.RoomID, reqIDs []string) (id.EventID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	card, ok := c.byRequest[reqIDs[0]]
	if !ok || !c.cards[card].readBack || c.cards[card].room != room {
		return "", false
	}
	for _, r := range reqIDs[1:] {
		if c.byRequest[r] != card {
			return "", false
		}
	}
	return card, true
}

// readRecentCards reads back the cards the bot itself posted lately. If seedgate died after
// the homeserver took a card but before the card was recorded, the card is already in the
// room, and must not be sent again (a repeated transaction id does not help: the homeserver
// forgets it when the sender vanishes mid-request).
func (b *Bot) readRecentCards(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	for _, roomID := range b.rooms {
		page, err := b.client.Messages(ctx, roomID, "", "", mautrix.DirectionBackward, nil, recentCardLookback)
		if err != nil {
			log.Warn().Err(err).Stringer("room_id", roomID).Msg("Reading back recent cards failed")
			continue
		}
		// Oldest first, so a request's newest card is the one remembered.
		for _, evt := range slices.Backward(page.Chunk) {
			if evt.Sender != b.client.UserID || evt.Type != event.EventEncrypted {
				continue
			}
			evt.RoomID = roomID
			if err = evt.Content.ParseRaw(evt.Type); err != nil {
				continue
			}
			plain, err := b.crypto.Decrypt(ctx, evt)
			if err != nil {
				continue
			}
			if reqIDs := cardRequestIDs(plain.Content.VeryRaw); len(reqIDs) > 0 {
				b.sent.remember(roomID, evt.ID, reqIDs, true)
			}
		}
	}
}

// cardRequestIDs lists the requests a new card (not an edit) shows.
func cardRequestIDs(raw json.RawMessage) []string {
	var content struct {
		RelatesTo *struct {
			Type string `json:"rel_type"`
		} `json:"m.relates_to"`
		Request *struct {
			ID string `json:"id"`
		} `json:"org.seedgate.request"`
		Digest []struct {
			ID string `json:"id"`
		} `json:"org.seedgate.digest"`
	}
	if json.Unmarshal(raw, &content) != nil || content.RelatesTo != nil {
		return nil
	}
	var ids []string
	if content.Request != nil {
		ids = append(ids, content.Request.ID)
	}
	for _, item := range content.Digest {
		ids = append(ids, item.ID)
	}
	return ids
}
