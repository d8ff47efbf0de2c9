package signal_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/bridges/bridgestest"
	"github.com/seedgate/seedgate/bridges/signal"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
)

// TestFakeFollowsTheDaemon checks the fake's HTTP behaviour against signal-cli's documented
// one, so that the client is tested against the real shapes.
func TestFakeFollowsTheDaemon(t *testing.T) {
	fake, err := stack.StartFakeSignalCLI("+15550000")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	for name, tc := range map[string]struct {
		method, path, contentType, host string
		want                            int
	}{
		"check":               {http.MethodGet, "/api/v1/check", "", "", http.StatusOK},
		"rpc by GET":          {http.MethodGet, "/api/v1/rpc", "", "", http.StatusMethodNotAllowed},
		"rpc as text":         {http.MethodPost, "/api/v1/rpc", "text/plain", "", http.StatusUnsupportedMediaType},
		"another Host":        {http.MethodGet, "/api/v1/check", "", "evil.example:80", http.StatusMisdirectedRequest},
		"notification only":   {http.MethodPost, "/api/v1/rpc", "application/json", "", http.StatusCreated},
		"unknown account sse": {http.MethodGet, "/api/v1/events?account=%2B1999", "", "", http.StatusBadRequest},
	} {
		body := strings.NewReader(`{"jsonrpc":"2.0","method":"listIdentities","params":{}}`)
		req, _ := http.NewRequest(tc.method, fake.URL+tc.path, body)
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: HTTP %d, want %d", name, resp.StatusCode, tc.want)
		}
	}
}

// TestSignalTransportThroughTheOutbox: sends through the outbox, each failure classified as
// signal-cli reports it; replies and reactions bound to the sent message by its timestamp;
// over the daemon's HTTP mode and over its unix socket.
func TestSignalTransportThroughTheOutbox(t *testing.T) {
	t.Run("http", func(t *testing.T) {
		fake, err := stack.StartFakeSignalCLI("+15550000")
		if err != nil {
			t.Fatal(err)
		}
		defer fake.Close()
		testTransport(t, fake)
	})
	t.Run("socket", func(t *testing.T) {
		fake, err := stack.StartFakeSignalCLISocket("+15550000", filepath.Join(t.TempDir(), "signal.sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer fake.Close()
		testTransport(t, fake)
	})
}

func testTransport(t *testing.T, fake *stack.FakeSignalCLI) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := signal.New(fake.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if err = client.Check(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := bridges.NewOutbox(st, &signal.Transport{Client: client})
	o.BaseDelay, o.MaxDelay, o.Tick = time.Millisecond, 2*time.Millisecond, 5*time.Millisecond

	fake.Unregister("+15550002")
	fake.ChangeSafetyNumber("+15550003")
	ids, err := client.ListIdentities(ctx, "+15550003")
	if err != nil || len(ids) != 1 || ids[0].TrustLevel != "UNTRUSTED" {
		t.Fatalf("identity of a changed safety number: %+v %v", ids, err)
	}
	for i, number := range []string{"+15550001", "+15550002", "+15550003"} {
		if _, err = o.Enqueue(ctx, "signal", number, "req1", "sg1.box.sealed-"+strconv.Itoa(i), "req1/"+number); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = o.Run(runCtx) }()
	defer func() { stop(); <-done }()

	sent := bridgestest.AwaitOutbox(ctx, t, st, "req1/+15550001", bridgestest.InState(store.OutboxSent))
	if len(fake.Sent()) != 1 || fake.Sent()[0].Message != "sg1.box.sealed-0" || strconv.FormatInt(fake.Sent()[0].Timestamp, 10) != sent.TransportID {
		t.Fatalf("sent: %+v, outbox %+v", fake.Sent(), sent)
	}
	if m := bridgestest.AwaitOutbox(ctx, t, st, "req1/+15550002", bridgestest.InState(store.OutboxDead)); !strings.HasPrefix(m.LastError, "unregistered") {
		t.Fatalf("unregistered: %+v", m)
	}
	if m := bridgestest.AwaitOutbox(ctx, t, st, "req1/+15550003", bridgestest.InState(store.OutboxRetry)); !strings.HasPrefix(m.LastError, "untrusted") || time.Until(m.NextAttempt) < time.Minute {
		t.Fatalf("a changed safety number must hold the message: %+v", m)
	}
	if len(fake.Sent()) != 1 {
		t.Fatalf("nothing may reach a recipient whose safety number changed: %+v", fake.Sent())
	}

	// Rate limits carry signal-cli's retry-after.
	fake.RateLimitNext(1)
	_, err = (&signal.Transport{Client: client}).Send(ctx, &store.OutboxMessage{Recipient: "+15550009", Body: "x"})
	var se *bridges.SendError
	if !errors.As(err, &se) || se.Reason != "rate_limited" || se.RetryAfter != 120*time.Second {
		t.Fatalf("rate limit: %#v", err)
	}

	// A reply quoting the card, and a reaction to it, come back through the event stream.
	got := make(chan signal.Envelope, 4)
	go func() { _ = client.Receive(ctx, func(e signal.Envelope) { got <- e }) }()
	for fake.Subscribers() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the client never opened the event stream")
		case <-time.After(5 * time.Millisecond):
		}
	}
	stamp, _ := strconv.ParseInt(sent.TransportID, 10, 64)
	fake.Deliver(map[string]any{"sourceNumber": "+15550001", "sourceUuid": "uuid-1", "timestamp": stamp + 5,
		"dataMessage": map[string]any{"timestamp": stamp + 5, "message": "sg1.vote.line", "quote": map[string]any{"id": stamp, "authorNumber": "+15550000"}}})
	fake.Deliver(map[string]any{"sourceNumber": "+15550001", "timestamp": stamp + 6,
		"dataMessage": map[string]any{"timestamp": stamp + 6, "message": nil, "reaction": map[string]any{"emoji": "👍", "targetSentTimestamp": stamp, "isRemove": false}}})
	reply, reaction := <-got, <-got
	if reply.DataMessage == nil || reply.DataMessage.Quote == nil || reply.DataMessage.Quote.ID != stamp || *reply.DataMessage.Message != "sg1.vote.line" {
		t.Fatalf("reply: %+v", reply)
	}
	if reaction.DataMessage == nil || reaction.DataMessage.Reaction == nil || reaction.DataMessage.Reaction.TargetSentTimestamp != stamp {
		t.Fatalf("reaction: %+v", reaction)
	}
	bound, err := st.FindOutboxByTransportID(ctx, "signal", strconv.FormatInt(reply.DataMessage.Quote.ID, 10))
	if err != nil || bound.RequestID != "req1" || bound.Recipient != "+15550001" {
		t.Fatalf("the reply's quote must find the card it answers: %+v %v", bound, err)
	}
}

// TestSocketReconnects: when the daemon restarts, the next call dials its socket again, and a
// receive loop learns the connection broke.
func TestSocketReconnects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "signal.sock")
	fake, err := stack.StartFakeSignalCLISocket("+15550000", path)
	if err != nil {
		t.Fatal(err)
	}
	client, err := signal.New("unix://"+path, "")
	if err != nil {
		t.Fatal(err)
	}
	if err = client.Check(ctx); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- client.Receive(ctx, func(signal.Envelope) {}) }()
	fake.Close()
	if err = <-ended; err == nil || ctx.Err() != nil {
		t.Fatalf("the receive loop must end with the connection: %v", err)
	}
	if err = client.Check(ctx); err == nil {
		t.Fatal("a call with the daemon gone must fail")
	}
	fake, err = stack.StartFakeSignalCLISocket("+15550000", path)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if err = client.Check(ctx); err != nil {
		t.Fatalf("after the daemon came back: %v", err)
	}
}
