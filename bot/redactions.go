package bot

import (
	"context"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// onRedaction withdraws the vote a redacted reaction or reply carried, while its request is
// still open. Only a message's sender (or the bot, which alone holds redact power in the room)
// can redact it, so the redaction's sender is the voter.
func (b *Bot) onRedaction(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID || !b.isCardRoom(evt.RoomID) {
		return
	}
	redacted := evt.Redacts
	if redacted == "" {
		redacted = evt.Content.AsRedaction().Redacts
	}
	if redacted == "" {
		return
	}
	answers, req, err := b.approvals.Withdraw(ctx, evt.Sender.String(), redacted.String())
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("Withdrawing vote failed")
		return
	}
	if len(answers) > 0 && req != nil && req.CardRoom == evt.RoomID.String() {
		b.answer(ctx, evt.RoomID, id.EventID(req.CardEvent), strings.Join(answers, " "))
	}
}
