package approval

import (
	"context"
	"slices"
	"testing"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

func TestHoldIsReappliedWhileRequestIsPending(t *testing.T) {
	h := newHarness(t, 1)
	ctx := context.Background()
	req := h.hold(t, "aa")
	running := torrent.Torrent{Hash: "aa", State: torrent.StateDownloading, RawState: "stalledDL"}

	h.svc.EnforceHold(ctx, "box", running)
	if calls := h.client.Calls(); !slices.Equal(calls, []string{"stop aa", "stop aa"}) {
		t.Fatalf("a held torrent that runs again was not stopped again: calls %v", calls)
	}
	var reapplied []string
	_ = h.store.EachAudit(ctx, func(e *store.AuditEntry) error {
		if e.Kind == "hold_reapplied" {
			reapplied = append(reapplied, e.RequestID)
		}
		return nil
	})
	if !slices.Equal(reapplied, []string{req.ID}) {
		t.Fatalf("hold_reapplied audit entries for %v, want one for %s", reapplied, req.ID)
	}
	if pending, _ := h.store.ListRequests(ctx, store.RequestPending); len(pending) != 1 {
		t.Fatalf("%d pending requests after the hold was re-applied, want the one", len(pending))
	}

	// Once decided, resuming is the decision's own doing and stays.
	h.vote(t, req, "@alice:hs", store.DecisionApprove)
	h.svc.tick(ctx)
	before := len(h.client.Calls())
	h.svc.EnforceHold(ctx, "box", running)
	if calls := h.client.Calls()[before:]; slices.Contains(calls, "stop aa") {
		t.Fatalf("a decided request's torrent was stopped again: %v", calls)
	}
}

// TestBurstIsStoppedInOneCall: a poll that finds several torrents to hold stops them all in one
// call first; their holds then stop nothing again, and each still gets its request.
func TestBurstIsStoppedInOneCall(t *testing.T) {
	h := newHarness(t, 1)
	ctx := context.Background()
	var burst []torrent.Event
	for _, hash := range []string{"b1", "b2", "b3"} {
		burst = append(burst, torrent.Event{Kind: torrent.EventAdded, Client: "box", Torrent: torrent.Torrent{Hash: hash, Name: hash + ".iso", Size: 1, State: torrent.StateDownloading}})
	}
	h.svc.PrepareHolds(ctx, "box", burst)
	for _, evt := range burst {
		if err := h.svc.HandleEvent(ctx, evt); err != nil {
			t.Fatal(err)
		}
	}
	if calls := h.client.Calls(); !slices.Equal(calls, []string{"stop many b1,b2,b3"}) {
		t.Fatalf("client calls %v, want one stop for the whole burst", calls)
	}
	if pending, _ := h.store.ListRequests(ctx, store.RequestPending); len(pending) != 3 {
		t.Fatalf("%d requests for a burst of 3", len(pending))
	}
	// A later hold of a torrent not in the burst stops it itself.
	h.hold(t, "b4")
	if calls := h.client.Calls(); calls[len(calls)-1] != "stop b4" {
		t.Fatalf("a hold outside the burst did not stop its torrent: %v", calls)
	}
}
