package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
)

// TestCardSentButNotRecordedIsAdoptedFarBack: seedgate sent a card but died before recording
// it (here: its record is wiped while it is stopped), the homeserver forgot the card's
// transaction id (Dendrite keeps them in memory: it is restarted), and 250 events came after
// the card before seedgate started again, more than two pages of read-back. On start it must
// find the card and adopt it instead of sending a second, and a vote on that card must count.
func TestCardSentButNotRecordedIsAdoptedFarBack(t *testing.T) {
	ctx, s := upStack(t, 4*time.Minute, stack.Options{Approvers: []string{"alice"}, Hooks: true})
	alice := s.Clients["alice"]
	tf, card := addHeld(ctx, t, s, alice, "sent-not-recorded.bin")
	s.Seedgate.Stop()

	st, err := store.OpenSQLite(ctx, filepath.Join(s.Seedgate.Dir, "seedgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = st.DB.Exec(ctx, "UPDATE requests SET card_room='', card_event='' WHERE torrent_hash=$1", tf.Hash); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	s.HS.Stop()
	if err = s.HS.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		if _, err = alice.RawEvent(ctx, card.RoomID, "org.seedgate.test.chatter", map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}

	cardsBefore := countCards(alice, tf.Hash)
	if err = s.Seedgate.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A torrent added now gets its card after the bot has started and the outbox has run.
	addHeld(ctx, t, s, alice, "probe-after-restart.bin")
	if n := countCards(alice, tf.Hash); n != cardsBefore {
		t.Fatalf("%d new card(s) for the request whose card was sent 250 events back", n-cardsBefore)
	}
	if _, err = alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed by a vote on the adopted card", func(state string, exists bool) bool {
		return exists && !stack.IsStopped(state)
	})
}

// countCards counts the new cards (not edits) the approver saw for hash.
func countCards(a *stack.Approver, hash string) int {
	n := 0
	for _, m := range a.Messages() {
		if r := m.Request(); m.Type == "message" && r != nil && r["hash"] == hash && m.Replaces() == "" {
			n++
		}
	}
	return n
}
