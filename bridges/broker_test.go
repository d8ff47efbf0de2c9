package bridges

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/bridges/bridgestest"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// namedTransport is a scripted transport under another route name.
type namedTransport struct {
	*scriptedTransport
	name string
}

func (n namedTransport) Route() string { return n.name }

// brokerFixture is a store with one approver reached over rbm, then signal; bob has a route
// but no device key.
func brokerFixture(t *testing.T, ctx context.Context) (*Broker, *store.Store) {
	t.Helper()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dev, err := crypto.GenerateDevice()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Approvers: []config.Approver{
		{Name: "alice", DeviceKeys: []string{dev.Enrollment()}, Routes: []config.Route{{Via: "rbm", To: "+15550101"}, {Via: "signal", To: "+15550101"}}},
		{Name: "bob", Routes: []config.Route{{Via: "signal", To: "+15550102"}}},
	}}
	cfg.Bridges.ReceiptTimeout = config.Duration(2 * time.Minute)
	outbox := NewOutbox(st, namedTransport{&scriptedTransport{sent: map[string]int{}}, "rbm"},
		namedTransport{&scriptedTransport{sent: map[string]int{}}, "signal"})
	return NewBroker(cfg, st, outbox, nil), st
}

// openRequest stores a pending request with a challenge sealed to alice's key.
func openRequest(t *testing.T, ctx context.Context, b *Broker, st *store.Store, id string) *store.Request {
	t.Helper()
	req := &store.Request{ID: id, Policy: "p", EventKind: "added", Action: "resume", Client: "box", TorrentHash: strings.Repeat("ab", 20),
		TorrentName: "secret-name.iso", Host: "seedbox", Quorum: 1, MinAssurance: "signature", State: "pending",
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(10 * time.Minute)}
	if err := st.InsertRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	key, _ := crypto.ParseEnrollment(b.Config.Approvers[0].DeviceKeys[0])
	if err := st.InsertChallenge(ctx, &store.Challenge{RequestID: id, KeyID: key.ID, TokenHash: id + "-token", Blob: "sg1.box." + key.ID + ".sealed"}); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestBrokerFallsBackInOrder(t *testing.T) {
	ctx := context.Background()
	b, st := brokerFixture(t, ctx)
	req := openRequest(t, ctx, b, st, "req1")
	if err := b.Dispatch(ctx, []*store.Request{req}); err != nil {
		t.Fatal(err)
	}
	if err := b.Dispatch(ctx, []*store.Request{req}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.ListOutboxByRequest(ctx, "req1")
	if len(msgs) != 1 || msgs[0].Route != "rbm" || msgs[0].Recipient != "+15550101" {
		t.Fatalf("dispatch twice must give one message on alice's first route (bob has no key): %+v", msgs)
	}
	first := msgs[0]
	if strings.Contains(first.Body, "secret-name") || strings.Contains(first.Body, req.TorrentHash) || !strings.Contains(first.Body, "sg1.box.") {
		t.Fatalf("the courier's body must carry the sealed blob and nothing else about the torrent: %q", first.Body)
	}

	now := time.Now()
	if err := b.FallBack(ctx, now); err != nil {
		t.Fatal(err)
	}
	if msgs, _ = st.ListOutboxByRequest(ctx, "req1"); len(msgs) != 1 {
		t.Fatalf("a pending first route must not fall back yet: %+v", msgs)
	}
	// RCS reports the message undelivered: Signal gets it at once, once.
	if err := st.UpdateOutbox(ctx, first.ID, store.OutboxUpdate{State: store.OutboxFailed, LastError: "undelivered"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.FallBack(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ = st.ListOutboxByRequest(ctx, "req1")
	if len(msgs) != 2 || msgs[1].Route != "signal" || msgs[1].Body != first.Body {
		t.Fatalf("after undelivered: want one more message, on signal, same body: %+v", msgs)
	}
	// The last route failing too leaves nothing more to try.
	_ = st.UpdateOutbox(ctx, msgs[1].ID, store.OutboxUpdate{State: store.OutboxDead, LastError: "unregistered"})
	if err := b.FallBack(ctx, now); err != nil {
		t.Fatal(err)
	}
	if msgs, _ = st.ListOutboxByRequest(ctx, "req1"); len(msgs) != 2 {
		t.Fatalf("past the last route: %+v", msgs)
	}
}

func TestBrokerFallsBackWithoutReceipt(t *testing.T) {
	ctx := context.Background()
	b, st := brokerFixture(t, ctx)
	req := openRequest(t, ctx, b, st, "req2")
	if err := b.Dispatch(ctx, []*store.Request{req}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.ListOutboxByRequest(ctx, "req2")
	_ = st.UpdateOutbox(ctx, msgs[0].ID, store.OutboxUpdate{State: store.OutboxSent, TransportID: "m-1"})
	sentAt := time.Now()
	if err := b.FallBack(ctx, sentAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if msgs, _ = st.ListOutboxByRequest(ctx, "req2"); len(msgs) != 1 {
		t.Fatalf("within the receipt timeout: %+v", msgs)
	}
	if err := b.FallBack(ctx, sentAt.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if msgs, _ = st.ListOutboxByRequest(ctx, "req2"); len(msgs) != 2 || msgs[1].Route != "signal" {
		t.Fatalf("no receipt within the timeout must fall back: %+v", msgs)
	}

	// A delivered message is final.
	req3 := openRequest(t, ctx, b, st, "req3")
	_ = b.Dispatch(ctx, []*store.Request{req3})
	msgs, _ = st.ListOutboxByRequest(ctx, "req3")
	_ = st.UpdateOutbox(ctx, msgs[0].ID, store.OutboxUpdate{State: store.OutboxDelivered})
	_ = b.FallBack(ctx, time.Now().Add(time.Hour))
	if msgs, _ = st.ListOutboxByRequest(ctx, "req3"); len(msgs) != 1 {
		t.Fatalf("a delivered card fell back: %+v", msgs)
	}
}

func TestOutboxDropsDecidedRequests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, st := brokerFixture(t, ctx)
	req := openRequest(t, ctx, b, st, "req4")
	if err := b.Dispatch(ctx, []*store.Request{req}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TransitionRequest(ctx, "req4", store.Transition{From: []store.RequestState{"pending"}, To: "approved", DecidedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.Outbox.Run(ctx) }()
	m := bridgestest.AwaitOutbox(ctx, t, st, routeKey("req4", "alice", 0), bridgestest.InState(store.OutboxDead))
	if !strings.HasPrefix(m.LastError, "cancelled") || b.Outbox.Transports["rbm"].(namedTransport).sends("+15550101") != 0 {
		t.Fatalf("a decided request's card was sent, or dropped without a reason: %+v", m)
	}
}

func TestRouteKeysReadBack(t *testing.T) {
	for _, person := range []string{"alice", "a/b", ""} {
		p, step, ok := parseRouteKey("r1", routeKey("r1", person, 3))
		if !ok || p != person || step != 3 {
			t.Errorf("%q: got %q %d %v", person, p, step, ok)
		}
	}
	if _, _, ok := parseRouteKey("r1", "r2/alice/0"); ok {
		t.Error("a key of another request was read")
	}
}

// TestCouriersCarryPersonalPasskeyLinks: with passkeys served, everyone with a route gets
// their own link (bob too, who has no device key), and still nothing about the torrent.
func TestCouriersCarryPersonalPasskeyLinks(t *testing.T) {
	ctx := context.Background()
	b, st := brokerFixture(t, ctx)
	b.PasskeyLink = func(requestID, person string) string {
		return "https://seedgate.example.org/a/" + requestID + "." + person
	}
	req := openRequest(t, ctx, b, st, "req1")
	if err := b.Dispatch(ctx, []*store.Request{req}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.ListOutboxByRequest(ctx, "req1")
	if len(msgs) != 2 {
		t.Fatalf("want one message each for alice and bob: %+v", msgs)
	}
	for _, m := range msgs {
		person := map[string]string{"+15550101": "alice", "+15550102": "bob"}[m.Recipient]
		if !strings.Contains(m.Body, "/a/req1."+person) || strings.Contains(m.Body, "secret-name") || strings.Contains(m.Body, req.TorrentHash) || strings.Contains(m.Body, req.Host) {
			t.Fatalf("%s's message must carry their own link and nothing about the torrent: %q", person, m.Body)
		}
		if sealed := strings.Contains(m.Body, "sg1.box."); sealed != (person == "alice") {
			t.Fatalf("%s's message: sealed blob %v: %q", person, sealed, m.Body)
		}
	}
}
