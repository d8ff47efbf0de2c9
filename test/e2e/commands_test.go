package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestCommands drives the `!sg` commands from the independent client: pending, status, an
// approval by command, and an unknown command answered with the help. A room member who is
// not an approver learns nothing from pending and status, and no answer can ping the room.
func TestCommands(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}, Others: []string{"mallory"}})
	alice, mallory := s.Clients["alice"], s.Clients["mallory"]
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
	// The observer asks first: their answers must not list the request.
	for text, refusal := range map[string]string{"!sg pending": "Only approvers can list requests.", "!sg status " + id: "Only approvers can read requests."} {
		sent, err := mallory.Reply(ctx, card.RoomID, "", text)
		if err != nil {
			t.Fatal(err)
		}
		got := waitReplyTo(ctx, t, mallory, card.RoomID, sent, refusal)
		if body, _ := got.Content["body"].(string); strings.Contains(body, "by-command.bin") || strings.Contains(body, tf.Hash) {
			t.Fatalf("an observer read the request: %s", body)
		}
	}
	say("!sg pending")
	answer("`" + id + "`  add “by-command.bin” on seedbox — 0 of 1")
	say("!sg frobnicate @room")
	msg, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		body, _ := m.Content["body"].(string)
		return m.Type == "message" && m.Sender != alice.UserID && strings.Contains(body, `Unknown command "frobnicate @`)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every answer says whom it mentions (nobody), so its text rings no one; the echoed
	// "@room" is broken up for clients that still match text.
	if mentions, ok := msg.Content["m.mentions"].(map[string]any); !ok || len(mentions) != 0 {
		t.Fatalf("answer without explicit empty m.mentions: %v", msg.Content["m.mentions"])
	}
	if body, _ := msg.Content["body"].(string); strings.Contains(body, "@room") {
		t.Fatalf("answer echoes a room mention: %q", body)
	}
	say("!sg approve " + id)
	answer("approve counted (1 of 1 approvals)")
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	say("!sg status " + id)
	answer("· alice approve (homeserver, counted)")
}
