package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestDeviceAssurance runs a policy that needs `device` assurance: a reaction does not count, an
// encrypted "approve" reply from a device its owner has not cross-signed does not count, and the
// same reply counts once the approver's client has set up cross-signing.
func TestDeviceAssurance(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}, MinAssurance: "device"})
	var err error
	alice := s.Clients["alice"]
	tf, card := addHeld(ctx, t, s, alice, "needs-a-verified-device.bin")
	held := func() {
		t.Helper()
		if state, _, _ := s.QB.State(ctx, tf.Hash); !stack.IsStopped(state) {
			t.Fatalf("torrent moved: %s", state)
		}
	}

	if _, err = alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	first := waitThreadNotice(ctx, t, alice, card.EventID, "needs a reply from a verified (cross-signed) device")
	held()
	if _, err = alice.Reply(ctx, card.RoomID, card.EventID, "approve"); err != nil {
		t.Fatal(err)
	}
	// The second refusal, for the encrypted reply from the not yet cross-signed device.
	if _, err = alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		body, _ := m.Content["body"].(string)
		return m.Type == "message" && m.EventID != first.EventID && m.Sender != alice.UserID &&
			strings.Contains(body, "needs a reply from a verified (cross-signed) device")
	}); err != nil {
		t.Fatal(err)
	}
	held()

	if err = alice.CrossSign(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err = alice.Reply(ctx, card.RoomID, card.EventID, "approve "+matchCode(t, card)); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, card.EventID, "approve counted")
	waitCardState(ctx, t, alice, card.EventID, "done")
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
}

// matchCode reads the match code from a card's text.
func matchCode(t *testing.T, card *stack.ApproverMessage) string {
	t.Helper()
	body, _ := card.Content["body"].(string)
	_, rest, found := strings.Cut(body, "Match code: ")
	if !found || len(rest) < 7 {
		t.Fatalf("no match code in card:\n%s", body)
	}
	return rest[:7]
}
