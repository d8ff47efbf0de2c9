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
	if pending, _ := h.store.ListRequests(ctx, StatePending); len(pending) != 1 {
		t.Fatalf("%d pending requests after the hold was re-applied, want the one", len(pending))
	}

	// Once decided, resuming is the decision's own doing and stays.
	h.vote(t, req, "@alice:hs", DecisionApprove)
	h.svc.tick(ctx)
	before := len(h.client.Calls())
	h.svc.EnforceHold(ctx, "box", running)
	if calls := h.client.Calls()[before:]; slices.Contains(calls, "stop aa") {
		t.Fatalf("a decided request's torrent was stopped again: %v", calls)
	}
}
