package approval

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
)

func TestHoldStopsAtOnceAndOnlyOnce(t *testing.T) {
	h := newHarness(t, 1)
	req := h.hold(t, "aa")
	// The watcher may report the same event again after a crash: no second request.
	h.hold(t, "aa")
	reqs, _ := h.store.ListRequests(context.Background(), store.RequestPending)
	if len(reqs) != 1 {
		t.Fatalf("%d pending requests for one torrent, want 1", len(reqs))
	}
	if calls := h.client.Calls(); len(calls) == 0 || calls[0] != "stop aa" {
		t.Fatalf("torrent not stopped first: %v", calls)
	}
	h.svc.tick(context.Background())
	req = h.state(t, req.ID)
	if req.Host != "seedbox" || req.MatchCode == "" || req.CardEvent == "" || !req.ExpiresAt.Equal(h.clock.Add(10*time.Minute)) {
		t.Fatalf("request not bound and carded as expected: %+v", req)
	}
}

func TestQuorumAndVeto(t *testing.T) {
	type ballot struct {
		voter      string
		decision   store.Decision
		wantReason string
	}
	cases := []struct {
		name      string
		ballots   []ballot
		wantState store.RequestState
	}{
		{"one person on two devices counts once", []ballot{
			{"@alice:hs", "approve", "counted"}, {"@alice:other", "approve", "counted"},
		}, store.RequestPending},
		{"two people reach 2 of 3", []ballot{
			{"@alice:hs", "approve", "counted"}, {"@bob:hs", "approve", "counted"},
		}, store.RequestApproved},
		{"a deny after one approve ends it", []ballot{
			{"@alice:hs", "approve", "counted"}, {"@bob:hs", "deny", "counted"},
		}, store.RequestDenied},
		{"non-approver changes nothing", []ballot{
			{"@mallory:hs", "approve", "not an approver"}, {"@alice:hs", "approve", "counted"},
		}, store.RequestPending},
		{"the latest vote of a person stands", []ballot{
			{"@alice:hs", "deny", "counted"},
		}, store.RequestDenied},
		{"vote after decision is answered, not counted", []ballot{
			{"@alice:hs", "approve", "counted"}, {"@bob:hs", "approve", "counted"}, {"@carol:hs", "deny", "request already approved"},
		}, store.RequestApproved},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 2)
			req := h.hold(t, "bb")
			for _, b := range tc.ballots {
				res := h.vote(t, req, b.voter, b.decision)
				if res.Reason != b.wantReason {
					t.Fatalf("%s %s: reason %q, want %q", b.voter, b.decision, res.Reason, b.wantReason)
				}
			}
			if got := h.state(t, req.ID).State; got != tc.wantState {
				t.Fatalf("state %s, want %s", got, tc.wantState)
			}
		})
	}
}

func TestVoteAfterExpiryIsRefused(t *testing.T) {
	h := newHarness(t, 1)
	req := h.hold(t, "cc")
	h.clock = h.clock.Add(10 * time.Minute)
	res := h.vote(t, req, "@alice:hs", "approve")
	if res.Counted || res.Reason != "request expired" {
		t.Fatalf("vote at expiry: %+v", res)
	}
	h.svc.tick(context.Background())
	r := h.state(t, req.ID)
	if r.State != store.RequestDone || r.Verdict != store.RequestExpired || r.Outcome != "remove_with_data" {
		t.Fatalf("after expiry tick: %+v", r)
	}
	if calls := h.client.Calls(); calls[len(calls)-1] != "remove+data cc" {
		t.Fatalf("expiry action not run: %v", calls)
	}
}

func TestActionRunsOnce(t *testing.T) {
	h := newHarness(t, 1)
	req := h.hold(t, "dd")
	h.vote(t, req, "@bob:hs", "approve")
	for range 3 {
		h.svc.tick(context.Background())
	}
	if got := countCalls(h.client.Calls(), "start dd"); got != 1 {
		t.Fatalf("resume ran %d times, want 1", got)
	}
	if r := h.state(t, req.ID); r.State != store.RequestDone {
		t.Fatalf("state %s, want done", r.State)
	}
}

// TestRecoveryAfterCrash puts the database in the state a crash at each step leaves behind,
// restarts the service, and checks that the decision is carried out exactly once.
func TestRecoveryAfterCrash(t *testing.T) {
	ctx := context.Background()
	steps := []struct {
		name    string
		prepare func(h *harness, req *store.Request)
		want    string
	}{
		{"after decision, before action", func(h *harness, req *store.Request) {
			h.vote(t, req, "@alice:hs", "approve")
		}, "start ee"},
		{"mid-action", func(h *harness, req *store.Request) {
			h.vote(t, req, "@alice:hs", "approve")
			_, _ = h.store.TransitionRequest(ctx, req.ID, store.Transition{From: store.RequestDecided, To: store.RequestExecuting})
		}, "start ee"},
		{"pending past its expiry", func(h *harness, req *store.Request) {
			h.clock = h.clock.Add(time.Hour)
		}, "remove+data ee"},
		{"denied, before action", func(h *harness, req *store.Request) {
			h.vote(t, req, "@carol:hs", "deny")
		}, "remove ee"},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			h := newHarness(t, 1)
			req := h.hold(t, "ee")
			step.prepare(h, req)
			h.reopen(t) // the crash: nothing in memory survives
			h.svc.tick(ctx)
			h.svc.tick(ctx)
			if got := countCalls(h.client.Calls(), step.want); got != 1 {
				t.Fatalf("%q ran %d times after recovery, want 1 (calls %v)", step.want, got, h.client.Calls())
			}
			if r := h.state(t, req.ID); r.State != store.RequestDone {
				t.Fatalf("state %s after recovery, want done", r.State)
			}
			if _, err := h.store.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRandomVotesNeverActWithoutQuorum is a property test: whatever order votes come in, from
// whomever, an approve action runs only when quorum distinct approvers' latest votes approve and
// none deny, and never twice.
func TestRandomVotesNeverActWithoutQuorum(t *testing.T) {
	voters := []string{"@alice:hs", "@alice:other", "@bob:hs", "@carol:hs", "@mallory:hs", "@eve:hs"}
	rng := rand.New(rand.NewSource(7))
	for i := range 150 {
		quorum := 1 + rng.Intn(3)
		h := newHarness(t, quorum)
		hash := fmt.Sprintf("%040x", i)
		req := h.hold(t, hash)
		var counted []*store.Vote
		for range 1 + rng.Intn(8) {
			voter := voters[rng.Intn(len(voters))]
			decision := []store.Decision{store.DecisionApprove, store.DecisionDeny}[rng.Intn(4)/3] // mostly approvals
			res := h.vote(t, req, voter, decision)
			if res.Counted {
				counted = res.Votes
			}
			if rng.Intn(3) == 0 {
				h.svc.tick(context.Background())
			}
		}
		h.svc.tick(context.Background())
		starts := countCalls(h.client.Calls(), "start "+hash)
		tally := Tally(counted)
		if starts > 1 {
			t.Fatalf("case %d: resumed %d times", i, starts)
		}
		if starts == 1 && tally.Approvals < quorum {
			t.Fatalf("case %d: resumed with %d approvals of %d needed (votes %v)", i, tally.Approvals, quorum, describe(counted))
		}
		final := h.state(t, req.ID)
		if final.Verdict == store.RequestApproved && slices.Contains(h.client.Calls(), "remove "+hash) {
			t.Fatalf("case %d: approved yet removed", i)
		}
	}
}

func countCalls(calls []string, want string) int {
	n := 0
	for _, c := range calls {
		if c == want {
			n++
		}
	}
	return n
}

func describe(votes []*store.Vote) []string {
	var out []string
	for _, v := range votes {
		out = append(out, v.Person+":"+string(v.Decision))
	}
	return out
}
