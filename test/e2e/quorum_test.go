package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestTwoOfThreeWithVeto runs a 2-of-3 policy with three independent approver clients: one
// approval leaves the torrent held, a second person's approval resumes it; on another torrent an
// approval followed by one person's denial removes it.
func TestTwoOfThreeWithVeto(t *testing.T) {
	ctx, s := upStack(t, 4*time.Minute, stack.Options{Approvers: []string{"alice", "bob", "carol"}, Quorum: 2})
	alice, bob, carol := s.Clients["alice"], s.Clients["bob"], s.Clients["carol"]

	add := func(t *testing.T, name string) (*stack.TorrentFile, *stack.ApproverMessage) {
		t.Helper()
		tf, card := addHeld(ctx, t, s, alice, name)
		for _, other := range []*stack.Approver{bob, carol} {
			waitCard(ctx, t, other, tf.Hash) // every approver's client can decrypt it
		}
		return tf, card
	}
	react := func(t *testing.T, who *stack.Approver, card *stack.ApproverMessage, key string) {
		t.Helper()
		if _, err := who.React(ctx, card.RoomID, card.EventID, key); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("two approvals resume", func(t *testing.T) {
		tf, card := add(t, "two-of-three.bin")
		body, _ := card.Content["body"].(string)
		if !strings.Contains(body, "0 of 2") || !strings.Contains(body, "@bob:localhost") || !strings.Contains(body, "@carol:localhost") {
			t.Fatalf("card does not show the quorum and mention every approver:\n%s", body)
		}
		react(t, alice, card, "✅")
		waitThreadNotice(ctx, t, alice, card.EventID, "approve counted (1 of 2 approvals)")
		if state, _, _ := s.QB.State(ctx, tf.Hash); !stack.IsStopped(state) {
			t.Fatalf("one approval of two resumed the torrent: %s", state)
		}
		react(t, bob, card, "✅")
		edit := waitCardState(ctx, t, carol, card.EventID, "done")
		newBody, _ := edit.Content["m.new_content"].(map[string]any)["body"].(string)
		if !strings.Contains(newBody, "by alice, bob") || !strings.Contains(newBody, "2 of 2") {
			t.Errorf("decided card does not name both approvers:\n%s", newBody)
		}
		waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	})

	t.Run("a redacted approval is withdrawn", func(t *testing.T) {
		tf, card := add(t, "withdrawn.bin")
		reaction, err := alice.React(ctx, card.RoomID, card.EventID, "✅")
		if err != nil {
			t.Fatal(err)
		}
		waitThreadNotice(ctx, t, alice, card.EventID, "approve counted (1 of 2 approvals)")
		if err = alice.Redact(ctx, card.RoomID, reaction); err != nil {
			t.Fatal(err)
		}
		waitThreadNotice(ctx, t, alice, card.EventID, "alice withdrew their approve")
		react(t, bob, card, "✅")
		waitThreadNotice(ctx, t, bob, card.EventID, "approve counted (1 of 2 approvals)")
		if state, _, _ := s.QB.State(ctx, tf.Hash); !stack.IsStopped(state) {
			t.Fatalf("a withdrawn approval still counted: %s", state)
		}
		react(t, carol, card, "✅")
		waitCardState(ctx, t, alice, card.EventID, "done")
	})

	t.Run("one deny vetoes", func(t *testing.T) {
		tf, card := add(t, "vetoed.bin")
		react(t, alice, card, "✅")
		waitThreadNotice(ctx, t, carol, card.EventID, "approve counted (1 of 2 approvals)")
		react(t, carol, card, "❌")
		edit := waitCardState(ctx, t, bob, card.EventID, "done")
		newBody, _ := edit.Content["m.new_content"].(map[string]any)["body"].(string)
		if !strings.Contains(newBody, "Denied") || !strings.Contains(newBody, "by carol") {
			t.Errorf("vetoed card:\n%s", newBody)
		}
		waitTorrentState(ctx, t, s.QB, tf.Hash, "removed", func(_ string, exists bool) bool { return !exists })
		// A late approval is answered, not counted.
		react(t, bob, card, "✅")
		waitThreadNotice(ctx, t, bob, card.EventID, "was not counted: request already")
	})
}
