package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestVoteBeyondOneSyncIsTaken: a vote cast while seedgate is down, followed by more room
// events than one /sync answer carries, still counts when seedgate is back. The homeserver
// answers the first sync with a "limited" timeline; the bot reads the gap before handling it.
func TestVoteBeyondOneSyncIsTaken(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}})
	alice := s.Clients["alice"]
	tf, card := addHeld(ctx, t, s, alice, "voted-while-down.bin")

	s.Seedgate.Stop()
	if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	const chatter = 80 // more than the 50 events a /sync answer carries per room
	for i := range chatter {
		if _, err := alice.RawEvent(ctx, card.RoomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": fmt.Sprintf("chatter %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Seedgate.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed by the vote cast while seedgate was down", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	if s.HS.Kind() == "synapse" {
		// In appservice mode (auto's choice on Synapse) there is no /sync to leave events out:
		// Synapse queues the transactions and sends them all after the bot's ping. The vote
		// counting is what this test can show there.
		return
	}
	line := logLineSince(s.Seedgate.Proc(), 0, `"Filled a gap in the room's timeline"`)
	if line == "" {
		t.Fatal("the vote counted, but not through a filled gap: the test no longer makes /sync leave events out")
	}
	var gap struct{ Events int }
	if err := json.Unmarshal([]byte(line), &gap); err != nil || gap.Events < chatter+1-50 {
		t.Fatalf("the gap held %d events, want at least %d: %s", gap.Events, chatter+1-50, line)
	}
}
