package rbm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/bridges/bridgestest"
	"github.com/seedgate/seedgate/bridges/rbm"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
)

type countingVoter struct{ ballots atomic.Int32 }

func (v *countingVoter) Vote(context.Context, approval.Ballot) (*approval.Result, error) {
	v.ballots.Add(1)
	return &approval.Result{Decision: "approve", Counted: true, Request: &store.Request{ID: "r1", State: "pending"}}, nil
}

type rbmRig struct {
	fake    *stack.FakeRBM
	st      *store.Store
	outbox  *bridges.Outbox
	client  *rbm.Client
	voter   *countingVoter
	failing atomic.Int32 // the webhook answers 503 while > 0, counting down
}

func startRBMRig(t *testing.T, ctx context.Context) *rbmRig {
	t.Helper()
	fake, err := stack.StartFakeRBM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keyFile, err := fake.WriteServiceAccount(dir)
	if err != nil {
		t.Fatal(err)
	}
	account, err := rbm.LoadServiceAccount(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rig := &rbmRig{fake: fake, st: st, voter: &countingVoter{}}
	rig.client = rbm.NewClient(fake.URL, fake.AgentID, account)
	cfg := &config.Config{Approvers: []config.Approver{{Name: "alice", Routes: []config.Route{{Via: "rbm", To: "+15550101"}}}}}
	hook := &rbm.Webhook{Verifier: &rbm.Verifier{ClientToken: fake.ClientToken}, Store: st, Client: rig.client, Log: zerolog.Nop(),
		Replies: &bridges.Replies{Config: cfg, Voter: rig.voter}}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rig.failing.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		hook.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)
	fake.WebhookURL = server.URL + rbm.WebhookPath
	rig.outbox = bridges.NewOutbox(st, &rbm.Transport{Client: rig.client, TTL: 10 * time.Minute})
	rig.outbox.Tick = 10 * time.Millisecond
	go func() { _ = rig.outbox.Run(ctx) }()
	return rig
}

func TestRBMSendsWithChipsAndHearsReceipts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rig := startRBMRig(t, ctx)
	if status, _, err := rig.fake.Handshake(rig.fake.ClientToken); err != nil || status != http.StatusOK {
		t.Fatalf("handshake: %d %v", status, err)
	}
	if status, _, _ := rig.fake.Handshake("guessed"); status != http.StatusForbidden {
		t.Fatalf("handshake with a wrong client token: %d", status)
	}

	rig.fake.NoRCS("+15550199")
	for key, to := range map[string]string{"ok": "+15550101", "no-rcs": "+15550199"} {
		if _, err := rig.outbox.Enqueue(ctx, "rbm", to, "r1", "sg1.box.sealed", key); err != nil {
			t.Fatal(err)
		}
	}
	delivered := bridgestest.AwaitOutbox(ctx, t, rig.st, "ok", bridgestest.InState(store.OutboxDelivered))
	dead := bridgestest.AwaitOutbox(ctx, t, rig.st, "no-rcs", bridgestest.InState(store.OutboxDead))
	if delivered.TransportID != rbm.MessageID(delivered.ID) || !strings.HasPrefix(dead.LastError, "not_rcs") || dead.Attempts != 1 {
		t.Fatalf("delivered %+v\ndead %+v", delivered, dead)
	}
	msgs := rig.fake.Messages()
	if len(msgs) != 1 || msgs[0].TTL != "600s" || strings.Join(msgs[0].Chips, ",") != "Approve=approve:r1,Deny=deny:r1" {
		t.Fatalf("a card must carry a TTL and Approve/Deny chips: %+v", msgs)
	}

	// A send repeated after a crash uses the same messageId: RBM delivers it once.
	if _, err := (&rbm.Transport{Client: rig.client}).Send(ctx, delivered); err != nil {
		t.Fatal(err)
	}
	if n := len(rig.fake.Messages()); n != 1 {
		t.Fatalf("a resent card reached the phone again: %d messages", n)
	}
}

func TestRBMInboundIsAuthenticatedAndTakenOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rig := startRBMRig(t, ctx)
	fake := rig.fake

	tap, status := fake.Push(fake.UserTap("+15550101", "Approve", "approve:r1"))
	if status != http.StatusOK {
		t.Fatalf("tap: %d", status)
	}
	answers := func() []string {
		var out []string
		for _, m := range fake.Messages() {
			out = append(out, m.Text)
		}
		return out
	}
	if got := answers(); len(got) != 1 || !strings.HasPrefix(got[0], "Not counted: approvals over RCS must be signed") {
		t.Fatalf("a tapped chip is unsigned and must be answered so: %q", got)
	}
	if status = fake.Replay(tap); status != http.StatusOK || len(answers()) != 1 {
		t.Fatalf("a replayed push must be acknowledged and ignored: %d, answers %q", status, answers())
	}

	// The webhook is down for two tries: Google's retries (10 s, then 20 s later on the fake's
	// clock) bring the reply in once.
	fake.WaitReceipts() // the answer's DELIVERED push must not meet the outage below
	rig.failing.Store(2)
	late, status := fake.Push(fake.UserText("+15550101", "approve please"))
	if status != http.StatusServiceUnavailable || fake.Answered(late) {
		t.Fatalf("first try: %d", status)
	}
	if fake.Advance(5*time.Second) != 0 || fake.Advance(5*time.Second) != 1 || fake.Answered(late) {
		t.Fatal("the first retry must come 10 s later, and fail")
	}
	if fake.Advance(20*time.Second) != 1 || !fake.Answered(late) || len(answers()) != 2 {
		t.Fatalf("the second retry must get through, once: %q", answers())
	}
	// A push never answered stops being retried after seven days.
	fake.WaitReceipts()
	rig.failing.Store(1 << 20)
	stuck, _ := fake.Push(fake.UserText("+15550101", "hello"))
	for range 24 * 8 {
		fake.Advance(time.Hour)
	}
	if tries, span := fake.Tries(stuck); fake.Answered(stuck) || span > 7*24*time.Hour || span < 7*24*time.Hour-time.Hour || tries < 7*24 {
		t.Fatalf("an unanswered push must be retried for seven days, then dropped: %d tries over %v", tries, span)
	}
	if rig.voter.ballots.Load() != 0 {
		t.Fatalf("unsigned messages reached the engine: %d", rig.voter.ballots.Load())
	}
}

func TestRBMWebhookRefusesBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rig := startRBMRig(t, ctx)
	for _, c := range []struct {
		name, method, body, signature string
		want                          int
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed},
		{"unsigned push", http.MethodPost, `{"message":{"data":"e30="}}`, "", http.StatusForbidden},
		{"malformed push", http.MethodPost, `{"message":`, "c2ln", http.StatusBadRequest},
		{"bad signature", http.MethodPost, `{"message":{"data":"e30="}}`, "c2ln", http.StatusForbidden},
		{"oversized", http.MethodPost, strings.Repeat("x", 600<<10), "c2ln", http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequestWithContext(ctx, c.method, rig.fake.WebhookURL, strings.NewReader(c.body))
		if c.signature != "" {
			req.Header.Set("X-Goog-Signature", c.signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	if rig.voter.ballots.Load() != 0 || len(rig.fake.Messages()) != 0 {
		t.Fatal("bad input reached the engine or got an answer")
	}
}
