package approval

import (
	"context"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// The homeserver admin can point a reply's cleartext m.relates_to at another card in the same
// room. An encrypted reply counts at `device` only when the ciphertext carries the card's match
// code; without it, it proves what a reaction proves.
func TestEncryptedReplyIsBoundByItsMatchCode(t *testing.T) {
	ctx := context.Background()
	devicePolicy := func(t *testing.T) *harness {
		h := newHarness(t, 1)
		h.cfg.Policies[0].MinAssurance = config.AssuranceDevice
		return h
	}
	trusted := func(req string, code string) Ballot {
		return Ballot{RequestID: req, Voter: "@alice:hs", Decision: store.DecisionApprove, Assurance: AssuranceDevice,
			DeviceTrust: "cross-signed-tofu", MatchCode: code, Source: "reply $x"}
	}

	t.Run("no code: not counted where device is needed, and told the code", func(t *testing.T) {
		h := devicePolicy(t)
		req := h.hold(t, "aa")
		res, err := h.svc.Vote(ctx, trusted(req.ID, ""))
		if err != nil {
			t.Fatal(err)
		}
		if res.Counted || !strings.Contains(res.Reason, "must name its card's match code") || !strings.Contains(res.Reason, req.MatchCode) {
			t.Fatalf("counted=%v reason=%q", res.Counted, res.Reason)
		}
		if h.state(t, req.ID).State != store.RequestPending {
			t.Fatal("a reply with no code decided a device-level request")
		}
	})
	t.Run("another card's code: not counted", func(t *testing.T) {
		h := devicePolicy(t)
		victim, other := h.hold(t, "aa"), h.hold(t, "bb")
		// The reply was written for `other`, and the homeserver redirected it to `victim`.
		res, err := h.svc.Vote(ctx, trusted(victim.ID, other.MatchCode))
		if err != nil {
			t.Fatal(err)
		}
		if res.Counted || res.Reason != "the match code does not match this request" {
			t.Fatalf("redirected reply: counted=%v reason=%q", res.Counted, res.Reason)
		}
	})
	t.Run("its own code: counted", func(t *testing.T) {
		h := devicePolicy(t)
		req := h.hold(t, "aa")
		if res, err := h.svc.Vote(ctx, trusted(req.ID, strings.ToLower(strings.ReplaceAll(req.MatchCode, "-", "")))); err != nil || !res.Counted {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("a command that names the request in its body needs no code", func(t *testing.T) {
		h := devicePolicy(t)
		req := h.hold(t, "aa")
		b := trusted(req.ID, "")
		b.NamedInBody = true
		if res, err := h.svc.Vote(ctx, b); err != nil || !res.Counted {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("no code where homeserver is enough: counted as homeserver", func(t *testing.T) {
		h := newHarness(t, 1)
		req := h.hold(t, "aa")
		res, err := h.svc.Vote(ctx, trusted(req.ID, ""))
		if err != nil || !res.Counted {
			t.Fatalf("%+v %v", res, err)
		}
		votes, _ := h.store.ListVotes(ctx, req.ID)
		if votes[0].Assurance != AssuranceHomeserver {
			t.Fatalf("recorded at %s, want homeserver", votes[0].Assurance)
		}
	})
	t.Run("an untrusted device is told why", func(t *testing.T) {
		h := devicePolicy(t)
		req := h.hold(t, "aa")
		b := trusted(req.ID, req.MatchCode)
		b.DeviceTrust, b.DeviceWhy = "unset", "the device is not cross-signed by its owner"
		res, err := h.svc.Vote(ctx, b)
		if err != nil || res.Counted || !strings.Contains(res.Reason, "not cross-signed by its owner") {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

// A redaction proves only what the homeserver says; it must not withdraw a vote that proved
// more, or the homeserver admin could undo any approval they dislike.
func TestRedactionWithdrawsOnlyWhatItCouldHaveForged(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 2)
	h.cfg.Policies[0].MinAssurance = config.AssuranceDevice
	req := h.hold(t, "aa")
	if res, err := h.svc.Vote(ctx, Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: store.DecisionApprove, Assurance: AssuranceDevice,
		DeviceTrust: "cross-signed-tofu", MatchCode: req.MatchCode, Source: "reply $dev1 trust cross-signed-tofu"}); err != nil || !res.Counted {
		t.Fatalf("%+v %v", res, err)
	}
	answers, _, err := h.svc.Withdraw(ctx, "@alice:hs", "$dev1")
	if err != nil || len(answers) != 1 || !strings.Contains(answers[0], "a redaction cannot take it back") {
		t.Fatalf("withdraw of a device vote: %v %v", answers, err)
	}
	votes, _ := h.store.ListVotes(ctx, req.ID)
	if tally := Tally(votes); tally.Approvals != 1 {
		t.Fatalf("device vote withdrawn by a redaction: %+v", tally)
	}
}

// A redaction names one event: an event id that is only the start of a vote's event id
// withdraws nothing.
func TestRedactionMatchesWholeEventIDs(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 2)
	req := h.hold(t, "aa")
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: store.DecisionApprove,
		Assurance: AssuranceHomeserver, Source: "reaction $abcdef"}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$abc", "$abcde", "$a"} {
		if answers, _, err := h.svc.Withdraw(ctx, "@alice:hs", prefix); err != nil || len(answers) != 0 {
			t.Fatalf("redacting %s withdrew $abcdef: %v %v", prefix, answers, err)
		}
	}
	if answers, _, err := h.svc.Withdraw(ctx, "@alice:hs", "$abcdef"); err != nil || len(answers) != 1 {
		t.Fatalf("the vote's own event: %v %v", answers, err)
	}
}
