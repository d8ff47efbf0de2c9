package approval

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/torrent"
)

func TestApproverGroupsAndDenyThreshold(t *testing.T) {
	h := newHarness(t, 1)
	h.cfg.Groups = map[string][]string{"admins": {"alice", "bob"}}
	h.cfg.Policies[0].Approvers = []string{"admins"}
	h.cfg.Policies[0].DenyThreshold = 2
	req := h.hold(t, "aa")
	if res := h.vote(t, req, "@carol:hs", "approve"); res.Counted || !strings.Contains(res.Reason, "not an approver for this request") {
		t.Fatalf("carol is outside the policy's group: %+v", res.Reason)
	}
	if res := h.vote(t, req, "@alice:hs", "deny"); !res.Counted || h.state(t, req.ID).State != StatePending {
		t.Fatalf("one deny of a threshold of two must not end it: %+v", res)
	}
	h.vote(t, req, "@bob:hs", "deny")
	if got := h.state(t, req.ID).State; got != StateDenied {
		t.Fatalf("two denies: state %s", got)
	}
}

// TestDigestForBursts holds 12 torrents at once under a policy that allows 3 cards a window:
// three cards go out at once, the other nine wait out the window and share one digest, which
// one reaction decides as a whole and a reply decides item by item.
func TestDigestForBursts(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1)
	h.cfg.Policies[0].DigestAfter = 3
	h.cfg.Policies[0].DigestWindow = config.Duration(2 * time.Second)
	for i := range 12 {
		h.hold(t, fmt.Sprintf("%02d", i))
	}
	next := h.svc.tick(ctx)
	if got := h.notifier.cards; len(got) != 3 {
		t.Fatalf("cards before the window ends: %v, want three single cards", got)
	}
	if !next.Equal(h.clock.Add(2 * time.Second)) {
		t.Fatalf("next run at %s, want the end of the window", next)
	}
	h.clock = h.clock.Add(2 * time.Second)
	h.svc.tick(ctx)
	if got := h.notifier.cards; len(got) != 4 || got[3] != 9 {
		t.Fatalf("cards after the window: %v, want a digest of 9", got)
	}
	pending, _ := h.store.ListRequests(ctx, StatePending)
	card := ""
	for _, r := range pending {
		if r.DigestIndex == 2 {
			card = r.CardEvent
		}
	}
	// Item 2 alone is denied by a reply; the rest are approved by one reaction.
	results, err := h.svc.VoteCard(ctx, Ballot{CardEventID: card, Voter: "@bob:hs", Decision: DecisionDeny, Item: 2, Assurance: AssuranceHomeserver})
	if err != nil || len(results) != 1 || !results[0].Counted {
		t.Fatalf("item vote: %v %+v", err, results)
	}
	results, err = h.svc.VoteCard(ctx, Ballot{CardEventID: card, Voter: "@alice:hs", Decision: DecisionApprove, Assurance: AssuranceHomeserver})
	if err != nil || len(results) != 8 {
		t.Fatalf("whole-card vote reached %d items (%v), want the 8 still open", len(results), err)
	}
	reqs, _ := h.store.ListRequestsByCard(ctx, card)
	approved, denied := 0, 0
	for _, r := range reqs {
		switch r.State {
		case StateApproved:
			approved++
		case StateDenied:
			denied++
		}
	}
	if approved != 8 || denied != 1 {
		t.Fatalf("digest outcome: %d approved, %d denied", approved, denied)
	}
}

// TestDigestTooLargeIsSplit holds 203 torrents at once when a digest may carry at most 40
// items: the backlog is split until each part fits, every request gets exactly one card, and
// items are numbered from 1 on each card.
func TestDigestTooLargeIsSplit(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1)
	h.cfg.Policies[0].DigestAfter = 3
	h.cfg.Policies[0].DigestWindow = config.Duration(2 * time.Second)
	h.notifier.maxItems = 40
	for i := range 203 {
		h.hold(t, fmt.Sprintf("%03d", i))
	}
	h.svc.tick(ctx)
	h.clock = h.clock.Add(2 * time.Second)
	h.svc.tick(ctx)
	total := 0
	for i, n := range h.notifier.cards {
		if n > 40 {
			t.Fatalf("card %d carries %d items, over the limit", i, n)
		}
		total += n
	}
	if total != 203 || len(h.notifier.cards) < 3+200/40 {
		t.Fatalf("cards %v carry %d requests, want 203 on 3 singles and at least 5 digests", h.notifier.cards, total)
	}
	pending, _ := h.store.ListRequests(ctx, StatePending)
	perCard := map[string][]int{}
	for _, r := range pending {
		if r.CardEvent == "" {
			t.Fatalf("request %s has no card", r.ID)
		}
		perCard[r.CardEvent] = append(perCard[r.CardEvent], r.DigestIndex)
	}
	for card, items := range perCard {
		slices.Sort(items)
		if len(items) > 1 && (items[0] != 1 || items[len(items)-1] != len(items)) {
			t.Fatalf("card %s numbers its items %v, want 1..%d", card, items, len(items))
		}
	}
}

func TestRequestsAPI(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1)
	token := "0123456789abcdef0123456789abcdef"
	h.cfg.API.Callers = []config.APICaller{{Name: "sonarr", Token: config.Secret(token)}}
	h.cfg.Policies = append(h.cfg.Policies, config.Policy{
		Name: "deletes", Events: []string{"request"}, Actions: []string{"remove_with_data"}, Outcome: config.OutcomeHold,
		Quorum: 1, DenyThreshold: 1, TTL: config.Duration(5 * time.Minute), MinAssurance: config.AssuranceHomeserver,
	})
	h.client.known = map[string]torrent.Torrent{"abcd": {Hash: "abcd", Name: "old.iso", Size: 5}}
	srv := httptest.NewServer(h.svc.APIHandler(zerolog.Nop()))
	defer srv.Close()
	call := func(method, path, auth, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	ask := `{"client":"box","hash":"ABCD","action":"remove_with_data","reason":"disk full"}`
	for _, tc := range []struct {
		name, auth, body string
		want             int
	}{
		{"no token", "", ask, 401},
		{"wrong token", "nope", ask, 401},
		{"not JSON", token, "remove it", 400},
		{"unknown field", token, `{"client":"box","hash":"abcd","action":"resume","force":true}`, 400},
		{"bad action", token, `{"client":"box","hash":"abcd","action":"format"}`, 400},
		{"unknown client", token, `{"client":"nas","hash":"abcd","action":"resume"}`, 404},
		{"unknown torrent", token, `{"client":"box","hash":"ffff","action":"remove_with_data"}`, 404},
		{"no policy for resume", token, `{"client":"box","hash":"abcd","action":"resume"}`, 403},
		{"oversized", token, `{"reason":"` + strings.Repeat("x", 9000) + `"}`, 413},
	} {
		if status, out := call("POST", "/v1/requests", tc.auth, tc.body); status != tc.want {
			t.Errorf("%s: HTTP %d %v, want %d", tc.name, status, out, tc.want)
		}
	}
	status, out := call("POST", "/v1/requests", token, ask)
	if status != 201 || out["match_code"] == "" || out["state"] != StatePending {
		t.Fatalf("ask: HTTP %d %v", status, out)
	}
	id := out["id"].(string)
	if calls := h.client.Calls(); len(calls) != 0 {
		t.Fatalf("asking must not touch the torrent: %v", calls)
	}

	done := make(chan map[string]any)
	go func() {
		_, out := call("GET", "/v1/requests/"+id+"?wait=30s", token, "")
		done <- out
	}()
	go h.svc.Run(ctx) // the run loop carries out the decision that ends the long-poll
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: id, Voter: "@alice:hs", Decision: DecisionApprove, Assurance: AssuranceHomeserver}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if got["state"] != StateDone || got["outcome"] != "remove_with_data" {
			t.Fatalf("long-poll answer: %v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("long-poll never returned")
	}
	if countCalls(h.client.Calls(), "remove+data abcd") != 1 {
		t.Fatalf("approved deletion not carried out once: %v", h.client.Calls())
	}
	if status, _ := call("GET", "/v1/requests/nope", token, ""); status != 404 {
		t.Fatalf("unknown request: %d", status)
	}
}

func TestDeviceTrustAgainstPolicy(t *testing.T) {
	cases := []struct {
		minTrust, trust string
		counted         bool
	}{
		{"cross-signed-tofu", "unverified", false},
		{"cross-signed-tofu", "cross-signed-untrusted", false},
		{"cross-signed-tofu", "cross-signed-tofu", true},
		{"cross-signed-verified", "cross-signed-tofu", false},
		{"cross-signed-verified", "verified", true},
		{"cross-signed-tofu", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.minTrust+"/"+tc.trust, func(t *testing.T) {
			h := newHarness(t, 1)
			h.cfg.Policies[0].MinAssurance = config.AssuranceDevice
			h.cfg.Policies[0].MinTrust = tc.minTrust
			req := h.hold(t, "aa")
			res, err := h.svc.Vote(context.Background(), Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: DecisionApprove,
				Assurance: AssuranceDevice, DeviceTrust: tc.trust, MatchCode: req.MatchCode})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counted != tc.counted {
				t.Fatalf("counted=%v (%s), want %v", res.Counted, res.Reason, tc.counted)
			}
		})
	}
}

func TestWithdrawnVoteStopsCounting(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 2)
	req := h.hold(t, "aa")
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: DecisionApprove, Assurance: AssuranceHomeserver, Source: "reaction $r1"}); err != nil {
		t.Fatal(err)
	}
	answers, _, err := h.svc.Withdraw(ctx, "@alice:hs", "$r1")
	if err != nil || len(answers) != 1 {
		t.Fatalf("withdraw: %v %v", answers, err)
	}
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: req.ID, Voter: "@bob:hs", Decision: DecisionApprove, Assurance: AssuranceHomeserver, Source: "reaction $b1"}); err != nil {
		t.Fatal(err)
	}
	if got := h.state(t, req.ID).State; got != StatePending {
		t.Fatalf("withdrawn approval still counted: %s", got)
	}
	if answers, _, _ := h.svc.Withdraw(ctx, "@mallory:hs", "$r1"); len(answers) != 0 {
		t.Fatal("a non-approver withdrew someone's vote")
	}
	h.vote(t, req, "@carol:hs", "approve")
	if answers, _, _ := h.svc.Withdraw(ctx, "@bob:hs", "$b1"); len(answers) == 0 || !strings.Contains(answers[0], "already approved") {
		t.Fatalf("withdrawal after the decision: %v", answers)
	}
}
