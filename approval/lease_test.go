package approval

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// A seedgate whose lease may be gone (frozen past it) touches no torrent: it neither holds,
// starts nor stops one, and says why, so the watcher offers the event again to whichever
// seedgate is active.
func TestNoTorrentIsTouchedWithoutTheLease(t *testing.T) {
	h := newHarness(t, 1)
	ctx := context.Background()
	h.hold(t, "held")
	before := len(h.client.Calls())
	if _, err := h.store.TakeLease(ctx, store.ThisProcess(time.Now()), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for h.store.CheckLease() == nil { // it runs out unrenewed
		time.Sleep(5 * time.Millisecond)
	}
	err := h.svc.HandleEvent(ctx, added("new", "", torrent.StateDownloading))
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("an event handled without the lease: %v", err)
	}
	// Would stop the held torrent found running, and the burst a policy holds.
	h.svc.EnforceHold(ctx, "box", torrent.Torrent{Hash: "held", State: torrent.StateDownloading})
	h.svc.PrepareHolds(ctx, "box", []torrent.Event{added("burst", "", torrent.StateDownloading)})
	if calls := h.client.Calls()[before:]; len(calls) != 0 {
		t.Fatalf("the client was asked %v without the lease", calls)
	}
}
