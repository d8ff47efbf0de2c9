package approval

import (
	"context"
	"slices"
	"testing"

	"github.com/seedgate/seedgate/torrent"
)

// Announcements are recorded before they are posted: while the homeserver is down they wait,
// across a restart too, and once it answers each is posted once, in the order the events came,
// a retry under the same transaction id.
func TestAnnouncementsWaitForTheHomeserverInOrder(t *testing.T) {
	h := doorHarness(t)
	ctx := context.Background()
	h.notifier.announceDown = true
	for _, hash := range []string{"a1", "a2", "a3"} {
		if err := h.svc.HandleEvent(ctx, added(hash, "announced", torrent.StateStopped)); err != nil {
			t.Fatal(err)
		}
	}
	h.svc.tick(ctx)
	if len(h.notifier.announced) != 0 {
		t.Fatalf("posted while the homeserver is down: %v", h.notifier.announced)
	}
	if !slices.Contains(h.client.Calls(), "start a1") {
		t.Fatalf("an announced torrent was not started (door mode): %v", h.client.Calls())
	}

	h.reopen(t) // seedgate restarts while the homeserver is still down
	h.notifier.announceDown = true
	if err := h.svc.HandleEvent(ctx, added("a4", "announced", torrent.StateStopped)); err != nil {
		t.Fatal(err)
	}
	h.svc.tick(ctx)
	h.notifier.announceDown = false
	h.svc.tick(ctx)
	h.svc.tick(ctx)
	var hashes, txns []string
	for _, a := range h.notifier.announced {
		hashes, txns = append(hashes, a[0]), append(txns, a[1])
	}
	if !slices.Equal(hashes, []string{"a1", "a2", "a3", "a4"}) {
		t.Fatalf("announced %v, want a1..a4 once each, in order", hashes)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(txns)))) != 4 {
		t.Fatalf("transaction ids %v are not one per announcement", txns)
	}
}
