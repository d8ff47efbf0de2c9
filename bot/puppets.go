package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/store"
)

// The bot mirrors courier traffic in the approvals room: what went to a person's phone is
// noted under the card by the bot, and what the person sent back appears as their puppet's
// reply under the card, followed by the bot's answer. The puppet's words are shown, never
// counted as a Matrix vote: over a courier only a device signature counts.
var _ bridges.Mirror = (*Bot)(nil)

// mirrorTimeout bounds one mirrored message; mirroring never delays a courier's answer.
const mirrorTimeout = 30 * time.Second

// notLocalpart is what a person's name may not carry into a Matrix localpart.
var notLocalpart = regexp.MustCompile(`[^a-z0-9._=/-]`)

// puppetID is the ghost user standing for person.
func (b *Bot) puppetID(person string) id.UserID {
	local := notLocalpart.ReplaceAllString(strings.ToLower(person), "_")
	return id.NewUserID(b.cfg.Appservice.PuppetPrefix+local, b.cfg.Homeserver.Domain)
}

// isPuppet says whether userID is one of the appservice's ghosts.
func (b *Bot) isPuppet(userID id.UserID) bool {
	return strings.HasPrefix(userID.Localpart(), b.cfg.Appservice.PuppetPrefix) && userID.Homeserver() == b.cfg.Homeserver.Domain
}

// CourierSent notes under the request's card that the card went to person over route.
func (b *Bot) CourierSent(ctx context.Context, requestID, person, route string) {
	b.mirror(ctx, requestID, b.cardOnceRecorded, func(ctx context.Context, roomID id.RoomID, card id.EventID) error {
		carried := "only the challenge sealed to their device. A reply that way counts only when their device signs it."
		if b.passkeys != nil {
			carried = "only their passkey link (it shows the request to their passkey alone) and any challenge sealed to their device. " +
				"Only their passkey or their device's signature counts."
		}
		return b.replyInThread(ctx, roomID, card, fmt.Sprintf("📨 Sent to %s over %s: %s", person, bridges.RouteName(route), carried))
	})
}

// CourierSaid shows what person sent over route as their puppet's reply under the card, then
// seedgate's answer.
func (b *Bot) CourierSaid(ctx context.Context, requestID, person, route, text, answer string) {
	b.mirror(ctx, requestID, b.recordedCard, func(ctx context.Context, roomID id.RoomID, card id.EventID) error {
		if err := b.puppetSays(ctx, person, route, roomID, card, text); err != nil {
			return err
		}
		return b.replyInThread(ctx, roomID, card, fmt.Sprintf("%s (%s via %s: an untrusted courier, so only a device signature counts)",
			answer, person, bridges.RouteName(route)))
	})
}

// cardLookup finds the request whose card courier traffic is mirrored under.
type cardLookup func(ctx context.Context, requestID string) (*store.Request, error)

// mirror runs post for the request's card, found by find, in the background, logging what
// fails.
func (b *Bot) mirror(ctx context.Context, requestID string, find cardLookup, post func(context.Context, id.RoomID, id.EventID) error) {
	log := zerolog.Ctx(ctx).With().Str("request_id", requestID).Logger()
	go func() {
		ctx, cancel := context.WithTimeout(log.WithContext(context.WithoutCancel(ctx)), mirrorTimeout)
		defer cancel()
		req, err := find(ctx, requestID)
		if err != nil {
			log.Warn().Err(err).Msg("No card to mirror courier traffic under")
			return
		}
		if err = post(ctx, id.RoomID(req.CardRoom), id.EventID(req.CardEvent)); err != nil {
			log.Warn().Err(err).Msg("Mirroring courier traffic in the room failed")
		}
	}()
}

// puppetSays posts text as person's puppet, encrypted with the bot's room session: the
// puppet has no device of its own.
func (b *Bot) puppetSays(ctx context.Context, person, route string, roomID id.RoomID, card id.EventID, text string) error {
	intent := b.as.Intent(b.puppetID(person))
	if err := intent.EnsureRegistered(ctx); err != nil {
		return fmt.Errorf("register puppet: %w", err)
	}
	if !b.as.StateStore.IsInRoom(ctx, roomID, intent.UserID) {
		if err := intent.SetDisplayName(ctx, person+" (via "+bridges.RouteName(route)+")"); err != nil {
			return fmt.Errorf("name puppet: %w", err)
		}
		_, err := b.client.InviteUser(ctx, roomID, &mautrix.ReqInviteUser{UserID: intent.UserID})
		if err != nil && !strings.Contains(err.Error(), "already in the room") {
			return fmt.Errorf("invite puppet: %w", err)
		}
		if err = intent.EnsureJoined(ctx, roomID); err != nil {
			return fmt.Errorf("join puppet: %w", err)
		}
	}
	// A courier's words are anyone's words: they mention nobody, whatever they say.
	content := &event.MessageEventContent{MsgType: event.MsgText, Body: strings.ReplaceAll(text, "@room", "@\u2060room"), Mentions: &event.Mentions{}}
	content.RelatesTo = b.underCard(ctx, card)
	encrypted, err := b.crypto.Encrypt(ctx, roomID, event.EventMessage, content)
	if err != nil {
		return fmt.Errorf("encrypt puppet message: %w", err)
	}
	_, err = intent.SendMessageEvent(ctx, roomID, event.EventEncrypted, encrypted)
	return err
}

// cardOnceRecorded is the request once its card is recorded: the outbox hands a courier the
// card a moment before seedgate records it, so a send can be reported first.
func (b *Bot) cardOnceRecorded(ctx context.Context, requestID string) (*store.Request, error) {
	if b.approvals == nil {
		return nil, fmt.Errorf("bot: not started, so no card is known for request %s", requestID)
	}
	return b.approvals.CardOf(ctx, requestID)
}

// recordedCard is the request if a card shows it now. A courier's reply names its request
// itself (a Signal quote, an RBM postback), so it is read once: waiting for a card on an
// untrusted courier's word would let it park a waiter per message it makes up.
func (b *Bot) recordedCard(ctx context.Context, requestID string) (*store.Request, error) {
	req, err := b.store.GetRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	if req.CardEvent == "" {
		return nil, fmt.Errorf("bot: request %s: %w yet", requestID, approval.ErrNoCard)
	}
	return req, nil
}
