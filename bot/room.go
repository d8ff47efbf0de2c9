package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

const roomKey = "matrix/approvals_room"

// ensureRoom adopts the configured or remembered approvals room, or creates one, and makes sure
// it is encrypted and every approver and observer is in it or invited.
func (b *Bot) ensureRoom(ctx context.Context) error {
	log := zerolog.Ctx(ctx)
	roomID := id.RoomID(b.cfg.Matrix.RoomID)
	key := "matrix.room_id"
	if roomID == "" {
		stored, err := b.store.GetKV(ctx, roomKey)
		if err != nil {
			return err
		}
		roomID, key = id.RoomID(stored), "the room seedgate created earlier"
	}
	if roomID == "" {
		return b.createRoom(ctx)
	}
	if _, err := b.client.JoinRoomByID(ctx, roomID); err != nil {
		return fmt.Errorf("%s: the bot cannot join %s (invite it first): %w", key, roomID, err)
	}
	var enc event.EncryptionEventContent
	err := b.client.StateEvent(ctx, roomID, event.StateEncryption, "", &enc)
	if errors.Is(err, mautrix.MNotFound) || (err == nil && enc.Algorithm == "") {
		return fmt.Errorf("%s: room %s is not encrypted; seedgate never posts approvals into an unencrypted room (enable encryption there, or remove the setting so seedgate creates an encrypted room)", key, roomID)
	} else if err != nil {
		return fmt.Errorf("%s: reading the encryption state of %s: %w", key, roomID, err)
	}
	if err = b.client.StateStore.SetEncryptionEvent(ctx, roomID, &enc); err != nil {
		return err
	}
	members, err := b.client.Members(ctx, roomID)
	if err != nil {
		return fmt.Errorf("%s: reading members of %s: %w", key, roomID, err)
	}
	joinedOrInvited := map[id.UserID]bool{}
	for _, evt := range members.Chunk {
		m := evt.Content.AsMember().Membership
		if m == event.MembershipJoin || m == event.MembershipInvite {
			joinedOrInvited[id.UserID(evt.GetStateKey())] = true
		}
	}
	for userID := range b.members {
		if joinedOrInvited[userID] {
			continue
		}
		if _, err = b.client.InviteUser(ctx, roomID, &mautrix.ReqInviteUser{UserID: userID}); err != nil {
			log.Warn().Err(err).Stringer("user_id", userID).Msg("Inviting room member failed")
		}
	}
	b.roomID = roomID
	return b.store.SetKV(ctx, roomKey, roomID.String())
}

func (b *Bot) createRoom(ctx context.Context) error {
	invites := make([]id.UserID, 0, len(b.members))
	for userID := range b.members {
		invites = append(invites, userID)
	}
	users := map[id.UserID]int{b.client.UserID: 100}
	resp, err := b.client.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Name:   b.cfg.Matrix.RoomName,
		Topic:  "Approval requests from seedgate. React ✅ to approve, ❌ to deny.",
		Preset: "private_chat",
		Invite: invites,
		InitialState: []*event.Event{{
			Type:    event.StateEncryption,
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}},
		}},
		// Only the bot may change the room; approvers may talk (replies are votes).
		PowerLevelOverride: &event.PowerLevelsEventContent{
			Users:           users,
			EventsDefault:   0,
			StateDefaultPtr: ptrInt(100),
			InvitePtr:       ptrInt(100),
			KickPtr:         ptrInt(100),
			BanPtr:          ptrInt(100),
			RedactPtr:       ptrInt(100),
		},
	})
	if err != nil {
		return fmt.Errorf("matrix: creating the approvals room: %w", err)
	}
	b.roomID = resp.RoomID
	zerolog.Ctx(ctx).Info().Stringer("room_id", resp.RoomID).Msg("Created encrypted approvals room")
	return b.store.SetKV(ctx, roomKey, resp.RoomID.String())
}

func ptrInt(v int) *int { return &v }
