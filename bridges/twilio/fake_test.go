package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/bridges/bridgestest"
	"github.com/seedgate/seedgate/bridges/twilio"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
)

// countingVoter records ballots and counts them all.
type countingVoter struct{ ballots int }

func (v *countingVoter) Vote(context.Context, approval.Ballot) (*approval.Result, error) {
	v.ballots++
	return &approval.Result{Decision: "approve", Counted: true, Request: &store.Request{ID: "r1", State: "pending"}}, nil
}

// twilioRig is the real transport, outbox and webhook against the fake Twilio.
type twilioRig struct {
	fake   *stack.FakeTwilio
	st     *store.Store
	outbox *bridges.Outbox
	voter  *countingVoter
}

func startTwilioRig(t *testing.T, ctx context.Context) *twilioRig {
	t.Helper()
	fake, err := stack.StartFakeTwilio()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := &config.Config{Approvers: []config.Approver{{Name: "alice", Routes: []config.Route{{Via: "twilio", To: "+15550101"}}}}}
	voter := &countingVoter{}
	hook := &twilio.Webhook{AuthToken: fake.AuthToken, Store: st, Log: zerolog.Nop(),
		Replies: &bridges.Replies{Config: cfg, Voter: voter}}
	server := httptest.NewServer(hook.Handler())
	t.Cleanup(server.Close)
	hook.PublicURL = server.URL
	fake.InboundURL = server.URL + twilio.InboundPath
	client := twilio.NewClient(fake.URL, fake.AccountSID, fake.AuthToken, fake.ServiceSID)
	outbox := bridges.NewOutbox(st, &twilio.Transport{Client: client, StatusURL: server.URL + twilio.StatusPath, Validity: 10 * time.Minute})
	outbox.BaseDelay, outbox.Tick = 10*time.Millisecond, 10*time.Millisecond
	go func() { _ = outbox.Run(ctx) }()
	return &twilioRig{fake: fake, st: st, outbox: outbox, voter: voter}
}

func TestTwilioSendsAndHearsStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rig := startTwilioRig(t, ctx)
	rig.fake.Undeliverable("+15550199")
	rig.fake.RateLimit(1)
	for key, to := range map[string]string{"ok": "+15550101", "no-rcs": "+15550199"} {
		if _, err := rig.outbox.Enqueue(ctx, "twilio", to, "r1", "sg1.box.sealed", key); err != nil {
			t.Fatal(err)
		}
	}
	delivered := bridgestest.AwaitOutbox(ctx, t, rig.st, "ok", bridgestest.InState(store.OutboxDelivered))
	failed := bridgestest.AwaitOutbox(ctx, t, rig.st, "no-rcs", bridgestest.InState(store.OutboxFailed))
	if !strings.HasPrefix(delivered.TransportID, "SM") || failed.LastError != "undelivered: Twilio error 30008" {
		t.Fatalf("delivered %+v\nfailed %+v", delivered, failed)
	}
	if delivered.Attempts+failed.Attempts != 3 {
		t.Fatalf("one 429 must cost exactly one retry: attempts %d + %d", delivered.Attempts, failed.Attempts)
	}
	for _, m := range rig.fake.Messages() {
		if !strings.HasPrefix(m.To, "rcs:+") || m.MessagingServiceSID != rig.fake.ServiceSID || m.ValidityPeriod != "600" ||
			!strings.Contains(m.StatusCallback, "/twilio/status?m=") {
			t.Fatalf("a card must go RCS-only through the Messaging Service with a TTL and a status callback: %+v", m)
		}
	}

	// A body Twilio refuses (over 1600 characters) is dead at once, with Twilio's reason.
	if _, err := rig.outbox.Enqueue(ctx, "twilio", "+15550101", "r1", strings.Repeat("x", 1601), "long"); err != nil {
		t.Fatal(err)
	}
	dead := bridgestest.AwaitOutbox(ctx, t, rig.st, "long", bridgestest.InState(store.OutboxDead))
	if !strings.Contains(dead.LastError, "21617") || dead.Attempts != 1 {
		t.Fatalf("too long: %+v", dead)
	}
}

func TestTwilioWrongTokenIsRetriedNotLost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fake, err := stack.StartFakeTwilio()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	client := twilio.NewClient(fake.URL, fake.AccountSID, "wrong-token", fake.ServiceSID)
	_, err = (&twilio.Transport{Client: client}).Send(ctx, &store.OutboxMessage{ID: "m", Recipient: "+15550101", Body: "b"})
	var se *bridges.SendError
	if !errors.As(err, &se) || se.Reason != "auth" || se.Permanent || !strings.Contains(err.Error(), "20003") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("a bad token must be a retried config fault that names Twilio's code and not the token: %v", err)
	}
}

func TestTwilioInboundWebhook(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rig := startTwilioRig(t, ctx)
	fake := rig.fake

	reply := fake.InboundParams("+15550101", "approve")
	status, body, err := fake.Deliver(reply)
	if err != nil || status != http.StatusOK || !strings.Contains(body, "<Message>Not counted: approvals over RCS must be signed") {
		t.Fatalf("unsigned reply: %d %q %v", status, body, err)
	}
	// Twilio retries the same MessageSid: taken once, answered with an empty response.
	if status, body, _ = fake.Deliver(reply); status != http.StatusOK || strings.Contains(body, "<Message>") {
		t.Fatalf("retry: %d %q", status, body)
	}
	if status, _, _ = fake.DeliverForged(fake.InboundParams("+15550101", "approve")); status != http.StatusForbidden {
		t.Fatalf("forged: %d", status)
	}
	// The signature covers every parameter: one added after signing breaks it.
	tampered := fake.InboundParams("+15550101", "approve")
	req, _ := http.NewRequest(http.MethodPost, fake.InboundURL, strings.NewReader(tampered.Encode()+"&Body=sg1.vote.x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Signature(fake.AuthToken, fake.InboundURL, tampered))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered: %v %v", resp, err)
	}
	if status, body, _ = fake.Deliver(fake.InboundParams("+15550999", "approve")); status != http.StatusOK || strings.Contains(body, "<Message>") {
		t.Fatalf("a stranger must get no answer: %d %q", status, body)
	}
	if rig.voter.ballots != 0 {
		t.Fatalf("no ballot may reach the engine from unsigned, forged or strange messages: %d", rig.voter.ballots)
	}
	for _, c := range []struct {
		method, body string
		want         int
	}{
		{http.MethodGet, "", http.StatusMethodNotAllowed},
		{http.MethodPost, "%zz", http.StatusBadRequest},
		{http.MethodPost, "Body=" + strings.Repeat("x", 70<<10), http.StatusRequestEntityTooLarge},
		{http.MethodPost, url.Values{"From": {"+15550101"}}.Encode(), http.StatusForbidden}, // unsigned
	} {
		req, _ := http.NewRequest(c.method, fake.InboundURL, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != c.want {
			t.Fatalf("%s %.20q: %v %v, want %d", c.method, c.body, resp, err, c.want)
		}
	}
}
