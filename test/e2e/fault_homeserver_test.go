package e2e

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// homeserverOutage is how long the homeserver stays down: the minute the issue asks for.
const homeserverOutage = time.Minute

// TestHomeserverOutage stops Dendrite for a minute while torrents keep arriving. Each must be
// held at once, Matrix or not; once the homeserver is back, every card must arrive, in the
// order the torrents came, exactly once, and still work. Torrents an announce-only policy
// covers arrive too: each is started at once, and its notice arrives once, in order.
func TestHomeserverOutage(t *testing.T) {
	ctx, s := upStack(t, 5*time.Minute, stack.Options{Approvers: []string{"alice"}, AnnouncePattern: "^announced-"})
	alice := s.Clients["alice"]
	addHeld(ctx, t, s, alice, "before-the-outage.bin")

	s.HS.Stop()
	down := time.Now()
	const arrivals = 6
	var during, notices []*stack.TorrentFile
	for i := range arrivals {
		tf, err := stack.MakeTorrent("", "during-the-outage-"+string(rune('a'+i))+".bin", 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err = s.QB.Add(ctx, tf); err != nil {
			t.Fatal(err)
		}
		waitTorrentState(ctx, t, s.QB, tf.Hash, "held while the homeserver is down", func(state string, exists bool) bool { return exists && stack.IsStopped(state) })
		during = append(during, tf)
		announced, err := stack.MakeTorrent("", "announced-"+string(rune('a'+i))+".bin", 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err = s.QB.Add(ctx, announced); err != nil {
			t.Fatal(err)
		}
		waitTorrentState(ctx, t, s.QB, announced.Hash, "started while the homeserver is down", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
		notices = append(notices, announced)
		// Pacing, not waiting for a condition: the arrivals spread over the outage.
		time.Sleep(time.Until(down.Add(time.Duration(i+1) * homeserverOutage / (arrivals + 1))))
	}
	time.Sleep(time.Until(down.Add(homeserverOutage)))
	if err := s.HS.Start(ctx); err != nil {
		t.Fatalf("restarting the homeserver: %v", err)
	}

	cards := make([]*stack.ApproverMessage, len(during))
	for i, tf := range during {
		cards[i] = waitCard(ctx, t, alice, tf.Hash)
	}
	// Approving every card shows they work, and bounds the wait for any duplicate: the service
	// posts cards before it carries out decisions.
	for _, card := range cards {
		if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
	}
	for i, card := range cards {
		waitCardState(ctx, t, alice, card.EventID, "done")
		waitTorrentState(ctx, t, s.QB, during[i].Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	}

	position := map[string][]int{} // hash -> where its cards are in the approver's timeline
	for i, m := range alice.Messages() {
		if r := m.Request(); m.Type == "message" && r != nil && m.Replaces() == "" {
			hash, _ := r["hash"].(string)
			position[hash] = append(position[hash], i)
		}
	}
	// Exactly one card each. Their order is the homeserver's (origin_server_ts, below): the
	// approver prints events it pages back through after a gap later than live ones, so its
	// printing order is not the timeline's.
	for i, tf := range during {
		if at := position[tf.Hash]; len(at) != 1 {
			t.Fatalf("torrent %d added during the outage got %d cards, want 1", i, len(at))
		}
	}
	for i := 1; i < len(cards); i++ {
		if cards[i].TS < cards[i-1].TS {
			t.Errorf("homeserver accepted card %d at %d, before card %d at %d", i, cards[i].TS, i-1, cards[i-1].TS)
		}
	}
	// Every announcement once, in the order the torrents came (by the homeserver's timestamps,
	// as for the cards).
	var posted []*stack.ApproverMessage
	eventually(ctx, t, "every announcement posted", func() (bool, error) {
		posted = posted[:0]
		for _, m := range alice.Messages() {
			if body, _ := m.Content["body"].(string); m.Type == "message" && strings.HasPrefix(body, "ℹ️ added: torrent “announced-") {
				posted = append(posted, m)
			}
		}
		return len(posted) >= len(notices), nil
	})
	slices.SortStableFunc(posted, func(a, b *stack.ApproverMessage) int { return cmp.Compare(a.TS, b.TS) })
	var got, want []string
	for _, m := range posted {
		body, _ := m.Content["body"].(string)
		got = append(got, strings.SplitN(strings.TrimPrefix(body, "ℹ️ added: torrent “"), "”", 2)[0])
	}
	for _, tf := range notices {
		want = append(want, tf.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("announcements posted %v, want %v: each once, in order", got, want)
	}
	auditIntact(ctx, t, s)
}
