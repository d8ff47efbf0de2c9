package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestCommands drives the `!sg` commands from the independent client: pending, status, an
// approval by command, and an unknown command answered with the help.
func TestCommands(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}})
	alice := s.Clients["alice"]
	tf, card := addHeld(ctx, t, s, alice, "by-command.bin")
	id := card.Request()["id"].(string)

	say := func(text string) {
		t.Helper()
		if _, err := alice.Reply(ctx, card.RoomID, "", text); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(contains string) {
		t.Helper()
		if _, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
			body, _ := m.Content["body"].(string)
			return m.Type == "message" && m.Sender != alice.UserID && strings.Contains(body, contains)
		}); err != nil {
			t.Fatalf("no answer containing %q: %v", contains, err)
		}
	}
	say("!sg pending")
	answer(id + "  add “by-command.bin” on seedbox — 0 of 1")
	say("!sg frobnicate")
	answer(`Unknown command "frobnicate"`)
	say("!sg approve " + id)
	answer("approve counted (1 of 1 approvals)")
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	say("!sg status " + id)
	answer("· alice approve (homeserver, counted)")
}
