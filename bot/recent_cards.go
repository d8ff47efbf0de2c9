package bot

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// recentCardLookback is how many of a card room's latest events the bot reads back at start.
// A card the previous run sent but had no time to record is among the last few.
const recentCardLookback = 100

// postedCard is where a card the bot sent is.
type postedCard struct {
	room  id.RoomID
	event id.EventID
}

// sentCards remembers, for the cards this run sent or read back at start, which requests each
// shows, so a vote on a card seedgate has not recorded yet still finds its requests.
type sentCards struct {
	mu    sync.Mutex
	shows map[id.EventID][]string // card -> request ids, in card order
}

func (c *sentCards) remember(card id.EventID, reqIDs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shows == nil {
		c.shows = map[id.EventID][]string{}
	}
	c.shows[card] = reqIDs
}

// unrecordedCard returns the requests a card the bot sent shows, or nil for any other event.
func (b *Bot) unrecordedCard(card id.EventID) []string {
	b.sent.mu.Lock()
	defer b.sent.mu.Unlock()
	return b.sent.shows[card]
}

// readRecentCards reads back the cards the bot itself posted lately, by request id. If seedgate
// died after the homeserver took a card but before the card was recorded, the card is already
// in the room: PostCard then adopts it instead of showing a second one (a repeated transaction
// id does not help, as the homeserver forgets it when the sender vanishes mid-request).
func (b *Bot) readRecentCards(ctx context.Context) map[string]postedCard {
	log := zerolog.Ctx(ctx)
	found := map[string]postedCard{}
	for _, roomID := range b.rooms {
		page, err := b.client.Messages(ctx, roomID, "", "", mautrix.DirectionBackward, nil, recentCardLookback)
		if err != nil {
			log.Warn().Err(err).Stringer("room_id", roomID).Msg("Reading back recent cards failed")
			continue
		}
		for _, evt := range page.Chunk {
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
			reqIDs := cardRequestIDs(plain.Content.VeryRaw)
			if len(reqIDs) > 0 {
				b.sent.remember(evt.ID, reqIDs)
			}
			for _, reqID := range reqIDs {
				if _, newer := found[reqID]; !newer {
					found[reqID] = postedCard{room: roomID, event: evt.ID}
				}
			}
		}
	}
	return found
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
