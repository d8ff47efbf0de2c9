package approval

import (
	"context"
	"testing"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// A magnet held because its size was unknown is asked about again when its metadata arrives:
// still held when a hold policy matches the real facts (with them on the card), let through
// when no hold policy would have held it.
func TestHeldMagnetIsReevaluatedOnItsMetadata(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1)
	h.cfg.Policies[0].MinSize = config.Size(1 << 30) // hold what is over 1 GiB, or unknown
	h.cfg.Policies = append(h.cfg.Policies, config.Policy{Name: "rest", Events: []string{"added"}, Outcome: config.OutcomeAnnounce})
	magnet := func(hash string) torrent.Torrent {
		return torrent.Torrent{Hash: hash, Name: hash, State: torrent.StateMetadata}
	}
	for _, hash := range []string{"small", "large"} {
		if err := h.svc.HandleEvent(ctx, torrent.Event{Kind: torrent.EventAdded, Client: "box", Torrent: magnet(hash)}); err != nil {
			t.Fatal(err)
		}
	}
	pending, _ := h.store.ListRequests(ctx, store.RequestPending)
	if len(pending) != 2 {
		t.Fatalf("%d magnets held with unknown sizes, want 2", len(pending))
	}
	ids := map[string]string{}
	for _, r := range pending {
		ids[r.TorrentHash] = r.ID
	}
	arrive := func(hash, name string, size int64) {
		t.Helper()
		err := h.svc.HandleEvent(ctx, torrent.Event{Kind: torrent.EventMetadataReceived, Client: "box",
			Torrent: torrent.Torrent{Hash: hash, Name: name, Size: size, State: torrent.StateStopped}})
		if err != nil {
			t.Fatal(err)
		}
	}
	arrive("large", "big.mkv", 4<<30)
	arrive("small", "small.txt", 1<<20)
	h.svc.tick(ctx)

	large := h.state(t, ids["large"])
	if large.State != store.RequestPending || large.TorrentName != "big.mkv" || large.TorrentSize != 4<<30 {
		t.Fatalf("large magnet after its metadata: %s %q %d", large.State, large.TorrentName, large.TorrentSize)
	}
	small := h.state(t, ids["small"])
	if small.State != store.RequestDone || small.Verdict != store.RequestApproved || small.DecidedBy != "policy rest (metadata known)" {
		t.Fatalf("small magnet after its metadata: %s %s by %q", small.State, small.Verdict, small.DecidedBy)
	}
	if countCalls(h.client.Calls(), "start small") != 1 || countCalls(h.client.Calls(), "start large") != 0 {
		t.Fatalf("calls %v", h.client.Calls())
	}
}
