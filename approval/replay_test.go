package approval

import (
	"context"
	"testing"

	"github.com/seedgate/seedgate/store"
)

// TestReplayedBallotIsNotRecordedAgain: the bot may see the same Matrix event twice (it fetches
// an unfinished batch again after a crash). The second delivery is answered from the first
// vote: no second vote row, no second audit entry, and the result says it was a replay.
func TestReplayedBallotIsNotRecordedAgain(t *testing.T) {
	h := newHarness(t, 2) // 2 of N, so the first vote leaves the request open
	ctx := context.Background()
	req := h.hold(t, "aa")
	ballot := Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: store.DecisionApprove, Assurance: AssuranceHomeserver,
		Source: "reaction $r1", ReplayKey: "$r1"}
	first, err := h.svc.Vote(ctx, ballot)
	if err != nil || !first.Counted || first.Replayed {
		t.Fatalf("first delivery: %+v, %v", first, err)
	}
	again, err := h.svc.Vote(ctx, ballot)
	if err != nil || !again.Replayed || !again.Counted {
		t.Fatalf("second delivery: %+v, %v; want a replay of the counted vote", again, err)
	}
	votes, _ := h.store.ListVotes(ctx, req.ID)
	audited := 0
	_ = h.store.EachAudit(ctx, func(e *store.AuditEntry) error {
		if e.Kind == "vote_counted" {
			audited++
		}
		return nil
	})
	if len(votes) != 1 || audited != 1 {
		t.Fatalf("%d votes and %d audit entries after a replay, want 1 and 1", len(votes), audited)
	}
	// Another event from the same person is a new ballot, not a replay, even when its id is
	// the start of an earlier one.
	for _, key := range []string{"$r", "$r2"} {
		ballot.Source, ballot.ReplayKey = "reaction "+key, key
		if res, err := h.svc.Vote(ctx, ballot); err != nil || res.Replayed {
			t.Fatalf("event %s was taken for a replay: %+v, %v", key, res, err)
		}
	}
}
