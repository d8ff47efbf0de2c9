package approval

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
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
	if res := h.vote(t, req, "@alice:hs", "deny"); !res.Counted || h.state(t, req.ID).State != store.RequestPending {
		t.Fatalf("one deny of a threshold of two must not end it: %+v", res)
	}
	h.vote(t, req, "@bob:hs", "deny")
	if got := h.state(t, req.ID).State; got != store.RequestDenied {
		t.Fatalf("two denies: state %s", got)
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
	if status != 201 || out["match_code"] == "" || out["state"] != string(store.RequestPending) {
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
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: id, Voter: "@alice:hs", Decision: store.DecisionApprove, Assurance: AssuranceHomeserver}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if got["state"] != string(store.RequestDone) || got["outcome"] != "remove_with_data" {
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
			res, err := h.svc.Vote(context.Background(), Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: store.DecisionApprove,
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
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: store.DecisionApprove, Assurance: AssuranceHomeserver, Source: "reaction $r1"}); err != nil {
		t.Fatal(err)
	}
	answers, _, err := h.svc.Withdraw(ctx, "@alice:hs", "$r1")
	if err != nil || len(answers) != 1 {
		t.Fatalf("withdraw: %v %v", answers, err)
	}
	if _, err := h.svc.Vote(ctx, Ballot{RequestID: req.ID, Voter: "@bob:hs", Decision: store.DecisionApprove, Assurance: AssuranceHomeserver, Source: "reaction $b1"}); err != nil {
		t.Fatal(err)
	}
	if got := h.state(t, req.ID).State; got != store.RequestPending {
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
