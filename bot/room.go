package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/store"
)

// RoomStoreKey is the store key under which the bot remembers the room it created for a
// group's cards ("" for the main room); doctor reads it too.
func RoomStoreKey(group string) string {
	if group == "" {
		return "matrix/approvals_room"
	}
	return "matrix/approvals_room/" + group
}

// cardRoom is one room cards go to: the main approvals room (group "") or a group's room.
type cardRoom struct {
	group      string
	name       string
	configured id.RoomID // adopted room, from the config
	members    map[id.UserID]bool
}

// cardRooms lists the rooms the config asks for: the main room with every approver and
// observer, and one room per group with its members and the observers.
func (b *Bot) cardRooms() []cardRoom {
	rooms := []cardRoom{{name: b.cfg.Matrix.RoomName, configured: id.RoomID(b.cfg.Matrix.RoomID), members: b.members}}
	for _, group := range slices.Sorted(maps.Keys(b.cfg.Groups)) {
		members := map[id.UserID]bool{}
		names, _ := b.cfg.ResolveApprovers([]string{group})
		for _, name := range names {
			a, _ := b.cfg.Approver(name)
			for _, m := range a.MatrixIDs {
				members[id.UserID(m)] = true
			}
		}
		for _, m := range b.cfg.Matrix.Observers {
			members[id.UserID(m)] = true
		}
		rooms = append(rooms, cardRoom{group: group, name: b.cfg.Matrix.RoomName + " — " + group,
			configured: id.RoomID(b.cfg.Matrix.GroupRooms[group]), members: members})
	}
	return rooms
}

// ensureRooms adopts or creates every card room.
func (b *Bot) ensureRooms(ctx context.Context) error {
	b.rooms = map[string]id.RoomID{}
	for _, spec := range b.cardRooms() {
		roomID, err := b.ensureRoom(ctx, spec)
		if err != nil {
			return err
		}
		b.rooms[spec.group] = roomID
	}
	return nil
}

// roomFor is where a request's card goes: its policy's group room, or the main room.
func (b *Bot) roomFor(req *store.Request) id.RoomID {
	if group, ok := b.cfg.GroupOf(req.Policy); ok {
		if roomID, ok := b.rooms[group]; ok {
			return roomID
		}
	}
	return b.RoomID()
}

// isCardRoom reports whether cards are posted in roomID.
func (b *Bot) isCardRoom(roomID id.RoomID) bool {
	for _, r := range b.rooms {
		if r == roomID {
			return true
		}
	}
	return false
}

// ensureRoom adopts the configured or remembered room, or creates one, and makes sure it is
// encrypted and every member is in it or invited (again, after leaving).
func (b *Bot) ensureRoom(ctx context.Context, spec cardRoom) (id.RoomID, error) {
	kvKey, key := RoomStoreKey(spec.group), "matrix.room_id"
	if spec.group != "" {
		key = "matrix.group_rooms." + spec.group
	}
	roomID := spec.configured
	if roomID == "" {
		stored, err := b.store.GetKV(ctx, kvKey)
		if err != nil {
			return "", err
		}
		roomID, key = id.RoomID(stored), "the room seedgate created earlier for "+spec.name
	}
	if roomID == "" {
		roomID, err := b.createRoom(ctx, spec.name, spec.members, false)
		if err != nil {
			return "", err
		}
		return roomID, b.store.SetKV(ctx, kvKey, roomID.String())
	}
	if _, err := b.client.JoinRoomByID(ctx, roomID); err != nil {
		return "", fmt.Errorf("%s: the bot cannot join %s (invite it first): %w", key, roomID, err)
	}
	if err := b.requireEncryption(ctx, roomID, key); err != nil {
		return "", err
	}
	if err := b.inviteMissing(ctx, roomID, spec.members); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return roomID, b.store.SetKV(ctx, kvKey, roomID.String())
}

// requireEncryption refuses a room without encryption and tells the crypto layer about it.
func (b *Bot) requireEncryption(ctx context.Context, roomID id.RoomID, key string) error {
	var enc event.EncryptionEventContent
	err := b.client.StateEvent(ctx, roomID, event.StateEncryption, "", &enc)
	if errors.Is(err, mautrix.MNotFound) || (err == nil && enc.Algorithm == "") {
		return fmt.Errorf("%s: room %s is not encrypted; seedgate never posts approvals into an unencrypted room (enable encryption there, or remove the setting so seedgate creates an encrypted room)", key, roomID)
	} else if err != nil {
		return fmt.Errorf("%s: reading the encryption state of %s: %w", key, roomID, err)
	}
	return b.client.StateStore.SetEncryptionEvent(ctx, roomID, &enc)
}

// inviteMissing invites every member who is neither joined nor invited: new approvers, and
// approvers who left.
func (b *Bot) inviteMissing(ctx context.Context, roomID id.RoomID, members map[id.UserID]bool) error {
	resp, err := b.client.Members(ctx, roomID)
	if err != nil {
		return fmt.Errorf("reading members of %s: %w", roomID, err)
	}
	present := map[id.UserID]bool{}
	for _, evt := range resp.Chunk {
		m := evt.Content.AsMember().Membership
		if m == event.MembershipJoin || m == event.MembershipInvite {
			present[id.UserID(evt.GetStateKey())] = true
		}
	}
	for userID := range members {
		if present[userID] {
			continue
		}
		if _, err = b.client.InviteUser(ctx, roomID, &mautrix.ReqInviteUser{UserID: userID}); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Stringer("user_id", userID).Msg("Inviting room member failed")
		}
	}
	return nil
}

// createRoom makes an encrypted room where only the bot may change state, invite, kick or
// redact others; members may talk (replies are votes). direct marks it as a DM.
func (b *Bot) createRoom(ctx context.Context, name string, members map[id.UserID]bool, direct bool) (id.RoomID, error) {
	topic := "Approval requests from seedgate. React ✅ to approve, ❌ to deny."
	if direct {
		topic = "Personal notices from seedgate, and device keys: !sg enroll, !sg revoke, !sg keys, !sg verify."
	}
	resp, err := b.client.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Name:     name,
		Topic:    topic,
		Preset:   "private_chat",
		IsDirect: direct,
		Invite:   slices.Sorted(maps.Keys(members)),
		InitialState: []*event.Event{{
			Type:    event.StateEncryption,
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}},
		}},
		PowerLevelOverride: &event.PowerLevelsEventContent{
			Users:           map[id.UserID]int{b.client.UserID: 100},
			EventsDefault:   0,
			StateDefaultPtr: ptrInt(100),
			InvitePtr:       ptrInt(100),
			KickPtr:         ptrInt(100),
			BanPtr:          ptrInt(100),
			RedactPtr:       ptrInt(100),
		},
	})
	if err != nil {
		return "", fmt.Errorf("matrix: creating the room %q: %w", name, err)
	}
	if err = b.client.StateStore.SetEncryptionEvent(ctx, resp.RoomID, &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}); err != nil {
		return "", err
	}
	zerolog.Ctx(ctx).Info().Stringer("room_id", resp.RoomID).Str("name", name).Bool("direct", direct).Msg("Created encrypted room")
	return resp.RoomID, nil
}

func ptrInt(v int) *int { return &v }
