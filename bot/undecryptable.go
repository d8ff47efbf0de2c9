package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
)

// reportTimeout bounds the notice about one undecryptable event.
const reportTimeout = 30 * time.Second

// onUndecryptable runs after mautrix has waited for the event's room key, asked the sender's
// devices for it and waited again. A vote the bot cannot read cannot count, and the sender
// would otherwise never know: say so where it was sent.
func (b *Bot) onUndecryptable(ctx context.Context, evt *event.Event, err error) {
	log := zerolog.Ctx(ctx).With().Stringer("event_id", evt.ID).Stringer("sender", evt.Sender).Stringer("room_id", evt.RoomID).Logger()
	log.Warn().Err(err).Msg("Could not decrypt event")
	if evt.Sender == b.client.UserID || b.isPuppet(evt.Sender) || (!b.isCardRoom(evt.RoomID) && b.dmOwners[evt.RoomID] == "") {
		return
	}
	// The sender's device ID in encrypted content is deprecated, but it is the one name of the
	// session a person can recognise; it is only echoed to them, never trusted.
	//lint:ignore SA1019 shown to the sender only, not used for any decision
	deviceID := evt.Content.AsEncrypted().DeviceID
	why := "its sender's device never shared the key, even when I asked for it"
	if !errors.Is(err, cryptohelper.NoSessionFound) {
		why = "the message is damaged or was encrypted for another session"
	}
	text := fmt.Sprintf("⚠️ %s: I could not decrypt your message %s (device %s): %s. If it was a vote or a command, it did not count: "+
		"send it again. If this keeps happening, verify your session or sign out and in again.", evt.Sender, evt.ID, deviceID, why)
	reportCtx, cancel := context.WithTimeout(log.WithContext(context.WithoutCancel(ctx)), reportTimeout)
	defer cancel()
	if err = b.sendNotice(reportCtx, evt.RoomID, text, nil); err != nil {
		log.Warn().Err(err).Msg("Reporting an undecryptable event failed")
	}
}
