package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// readBackPage is how many events one /messages call reads back at start.
const readBackPage = 100

// homeserverClockSlack is how far behind this host's clock the homeserver's may be when the
// read-back compares a card's origin_server_ts with the time its request was opened.
const homeserverClockSlack = time.Minute

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
	reqIDs   []string   // in card order
	items    []int      // each request's item number on a digest card (0 on a card of its own)
	thread   id.EventID // the burst's first card, for a card in its thread
	readBack bool       // sent by the previous run, found at start
}

func (c *sentCards) remember(card id.EventID, sent sentCard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cards == nil {
		c.cards, c.byRequest = map[id.EventID]sentCard{}, map[string]id.EventID{}
	}
	c.cards[card] = sent
	for _, r := range sent.reqIDs {
		c.byRequest[r] = card
	}
}

// requestsOn returns the requests a card the bot sent shows, or nil for any other event.
func (c *sentCards) requestsOn(card id.EventID) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cards[card].reqIDs
}

// threadOf returns the burst's first card for a card in its thread ("" for a card in the
// timeline), and whether this run knows the card at all.
func (c *sentCards) threadOf(card id.EventID) (id.EventID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent, known := c.cards[card]
	return sent.thread, known
}

// adoptable returns the card the previous run sent in room for the first of these requests,
// if start-up read one back and it shows the next ones in the same order. (A card of this run
// that failed to record is sent again under the same transaction id, which the homeserver
// still holds.)
func (c *sentCards) adoptable(room id.RoomID, reqIDs []string) (id.EventID, sentCard, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	card, ok := c.byRequest[reqIDs[0]]
	sent := c.cards[card]
	if !ok || !sent.readBack || sent.room != room || len(sent.reqIDs) > len(reqIDs) {
		return "", sentCard{}, false
	}
	for i, r := range sent.reqIDs {
		if reqIDs[i] != r || c.byRequest[r] != card {
			return "", sentCard{}, false
		}
	}
	return card, sent, true
}

// readRecentCards reads back the cards the bot itself posted and did not record. If seedgate
// died after the homeserver took a card but before the card was recorded, the card is already
// in the room, and must not be sent again (a repeated transaction id does not help: the
// homeserver forgets it when the sender vanishes mid-request). Such a card is no older than
// the oldest request still waiting for its card, so each room is read back page by page until
// the events are older than that, however many came after the card; with every request
// carded there is nothing to read back.
func (b *Bot) readRecentCards(ctx context.Context) error {
	oldest, waiting, err := b.store.OldestUncarded(ctx)
	if err != nil || !waiting {
		return err
	}
	cutoff := oldest.Add(-homeserverClockSlack).UnixMilli()
	log := zerolog.Ctx(ctx)
	for _, roomID := range b.rooms {
		var mine []*event.Event // newest first
		from, pages := "", 0
		for done := false; !done; pages++ {
			page, err := b.client.Messages(ctx, roomID, from, "", mautrix.DirectionBackward, nil, readBackPage)
			if err != nil {
				return fmt.Errorf("bot: read back the cards in %s: %w", roomID, err)
			}
			for _, evt := range page.Chunk {
				if evt.Timestamp < cutoff {
					done = true
					break
				}
				if evt.Sender == b.client.UserID && evt.Type == event.EventEncrypted {
					mine = append(mine, evt)
				}
			}
			if page.End == "" || page.End == from || len(page.Chunk) == 0 {
				done = true
			}
			from = page.End
		}
		// Oldest first, so a request's newest card is the one remembered.
		adopted := 0
		for _, evt := range slices.Backward(mine) {
			evt.RoomID = roomID
			if err := evt.Content.ParseRaw(evt.Type); err != nil {
				continue
			}
			plain, err := b.crypto.Decrypt(ctx, evt)
			if err != nil || !sentByThisDevice(plain) {
				continue
			}
			if sent, ok := readCard(plain.Content.VeryRaw); ok {
				sent.room, sent.readBack = roomID, true
				b.sent.remember(evt.ID, sent)
				adopted++
			}
		}
		log.Debug().Stringer("room_id", roomID).Int("pages", pages).Int("cards", adopted).Msg("Read back the cards sent since the oldest uncarded request")
	}
	return nil
}

// readCard reads which requests a new card (not an edit) shows: a card of its own, or a digest
// card, in the timeline or in a burst's thread.
func readCard(raw json.RawMessage) (sentCard, bool) {
	var content struct {
		RelatesTo *struct {
			Type    event.RelationType `json:"rel_type"`
			EventID id.EventID         `json:"event_id"`
		} `json:"m.relates_to"`
		Request *struct {
			ID string `json:"id"`
		} `json:"org.seedgate.request"`
		Digest []struct {
			ID   string `json:"id"`
			Item int    `json:"item"`
		} `json:"org.seedgate.digest"`
	}
	if json.Unmarshal(raw, &content) != nil {
		return sentCard{}, false
	}
	var sent sentCard
	if rel := content.RelatesTo; rel != nil {
		if rel.Type != event.RelThread || content.Digest == nil {
			return sentCard{}, false
		}
		sent.thread = rel.EventID
	}
	if content.Request != nil {
		sent.reqIDs, sent.items = append(sent.reqIDs, content.Request.ID), append(sent.items, 0)
	}
	for _, item := range content.Digest {
		sent.reqIDs, sent.items = append(sent.reqIDs, item.ID), append(sent.items, item.Item)
	}
	return sent, len(sent.reqIDs) > 0
}

// sentByThisDevice says whether a decrypted event was encrypted by the bot's own device, with a
// session it made (not one forwarded or restored). A homeserver admin can send events as the
// bot and add a device to its account, or reset its cross-signing; a "card" encrypted by such
// a device must not be adopted in place of the real one, or votes on its text would count for
// the request it names. mautrix marks exactly its own direct sessions Verified, with no source
// device; every other session gets its sender's device and that device's trust.
func sentByThisDevice(evt *event.Event) bool {
	return evt.Mautrix.TrustSource == nil && evt.Mautrix.TrustState == id.TrustStateVerified && !evt.Mautrix.ForwardedKeys
}
