package bot

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"maunium.net/go/mautrix/id"
)

// DMStoreKey is the store key under which the bot remembers its direct-message room with user.
func DMStoreKey(user string) string { return "matrix/dm/" + user }

// ensureDMs gives every approver's Matrix account an encrypted direct-message room with the
// bot, for personal notices and for enrolling device keys, and re-invites anyone who left.
func (b *Bot) ensureDMs(ctx context.Context) error {
	b.dms, b.dmOwners = map[id.UserID]id.RoomID{}, map[id.RoomID]id.UserID{}
	for _, a := range b.cfg.Approvers {
		for _, m := range a.MatrixIDs {
			user := id.UserID(m)
			stored, err := b.store.GetKV(ctx, DMStoreKey(m))
			if err != nil {
				return err
			}
			roomID := id.RoomID(stored)
			if roomID == "" {
				if roomID, err = b.createRoom(ctx, b.cfg.Appservice.BotDisplayname, map[id.UserID]bool{user: true}, true); err != nil {
					return fmt.Errorf("direct messages with %s: %w", user, err)
				}
				if err = b.store.SetKV(ctx, DMStoreKey(m), roomID.String()); err != nil {
					return err
				}
			} else if err = b.requireEncryption(ctx, roomID, "the direct-message room with "+m); err != nil {
				return err
			} else if err = b.inviteMissing(ctx, roomID, map[id.UserID]bool{user: true}); err != nil {
				return fmt.Errorf("direct messages with %s: %w", user, err)
			}
			b.dms[user], b.dmOwners[roomID] = roomID, user
		}
	}
	return nil
}

// tell sends user a personal notice in their direct-message room.
func (b *Bot) tell(ctx context.Context, user id.UserID, text string) error {
	roomID, ok := b.dms[user]
	if !ok {
		return fmt.Errorf("bot: no direct-message room with %s", user)
	}
	return b.sendNotice(ctx, roomID, text, nil)
}

// tellQuietly is tell for news that may have no DM to go to; a failure is only logged.
func (b *Bot) tellQuietly(ctx context.Context, user id.UserID, text string) {
	if _, ok := b.dms[user]; !ok {
		return
	}
	if err := b.tell(ctx, user, text); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Stringer("user_id", user).Msg("Telling an approver failed")
	}
}
