package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/bot"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// roomToCheck is one room seedgate posts into and who should be in it: approver names, each
// present when any of their Matrix accounts joined.
type roomToCheck struct {
	check    string
	roomID   string
	setting  string // the config key that adopts this room, for fixes
	expected map[string][]string
}

// checkRooms checks every room seedgate sends into: the main approvals room, one per group,
// and each approver's direct-message room. Each must be encrypted and readable by the bot.
func checkRooms(ctx context.Context, cli *mautrix.Client, cfg *config.Config, st *store.Store) []Result {
	var out []Result
	for _, room := range roomsToCheck(ctx, cfg, st) {
		out = append(out, checkRoom(ctx, cli, room))
	}
	return out
}

func roomsToCheck(ctx context.Context, cfg *config.Config, st *store.Store) []roomToCheck {
	stored := func(key string) string {
		if st == nil {
			return ""
		}
		value, _ := st.GetKV(ctx, key)
		return value
	}
	pick := func(configured, key string) string {
		if configured != "" {
			return configured
		}
		return stored(key)
	}
	everyone := map[string][]string{}
	for _, a := range cfg.Approvers {
		everyone[a.Name] = a.MatrixIDs
	}
	rooms := []roomToCheck{{check: "approvals room", roomID: pick(cfg.Matrix.RoomID, bot.RoomStoreKey("")), setting: "matrix.room_id", expected: everyone}}
	for _, group := range slices.Sorted(maps.Keys(cfg.Groups)) {
		members := map[string][]string{}
		names, _ := cfg.ResolveApprovers([]string{group})
		for _, name := range names {
			members[name] = everyone[name]
		}
		rooms = append(rooms, roomToCheck{check: "approvals room " + group, roomID: pick(cfg.Matrix.GroupRooms[group], bot.RoomStoreKey(group)),
			setting: "matrix.group_rooms." + group, expected: members})
	}
	for _, a := range cfg.Approvers {
		for _, m := range a.MatrixIDs {
			rooms = append(rooms, roomToCheck{check: "direct messages with " + m, roomID: stored(bot.DMStoreKey(m)),
				expected: map[string][]string{a.Name: {m}}})
		}
	}
	return rooms
}

func checkRoom(ctx context.Context, cli *mautrix.Client, room roomToCheck) Result {
	if room.roomID == "" {
		return warn(room.check, "none yet", "seedgate creates it, encrypted, on its next start")
	}
	recreate := "remove the room from seedgate's database so it creates an encrypted one"
	if room.setting != "" {
		recreate = "set " + room.setting + " to an encrypted room, or remove it so seedgate creates one"
	}
	var enc event.EncryptionEventContent
	err := cli.StateEvent(ctx, id.RoomID(room.roomID), event.StateEncryption, "", &enc)
	switch {
	case errors.Is(err, mautrix.MNotFound) || (err == nil && enc.Algorithm == ""):
		return fail(room.check, room.roomID+" is not encrypted", "enable encryption in "+room.roomID+" (it cannot be turned off again), or "+recreate)
	case errors.Is(err, mautrix.MForbidden):
		return fail(room.check, "the bot cannot read "+room.roomID, "invite the bot to the room, or "+recreate)
	case err != nil:
		return fail(room.check, err.Error(), "check that "+room.roomID+" exists on this homeserver")
	}
	members, err := cli.JoinedMembers(ctx, id.RoomID(room.roomID))
	if err != nil {
		return fail(room.check, err.Error(), "invite the bot to the room")
	}
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(room.expected)) {
		joined := false
		for _, m := range room.expected[name] {
			_, in := members.Joined[id.UserID(m)]
			joined = joined || in
		}
		if !joined {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return warn(room.check, fmt.Sprintf("%s is encrypted (%s) but %s has not joined", room.roomID, enc.Algorithm, strings.Join(missing, ", ")),
			"accept the invitation from the bot")
	}
	return ok(room.check, fmt.Sprintf("%s is encrypted (%s), everyone expected joined", room.roomID, enc.Algorithm))
}
