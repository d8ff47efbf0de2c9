package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestOutboxLifecycle: enqueue is idempotent, a claim is exclusive, a crash mid-send leaves
// the message due again, receipts update it, replies find it by the courier's id.
func TestOutboxLifecycle(t *testing.T) { eachBackend(t, testOutbox) }

func testOutbox(t *testing.T, st *Store, reopen func() *Store) {
	ctx := context.Background()
	now := time.Now()
	msg := &OutboxMessage{ID: "m1", Route: "signal", Recipient: "+15550001", RequestID: "r1", Body: "sg1.box.x",
		IdempotencyKey: "r1/alice/signal", NextAttempt: now}
	if ok, err := st.EnqueueOutbox(ctx, msg); err != nil || !ok {
		t.Fatalf("enqueue: %v %v", ok, err)
	}
	dup := *msg
	dup.ID = "m2"
	if ok, err := st.EnqueueOutbox(ctx, &dup); err != nil || ok {
		t.Fatalf("a second enqueue with the same key must be a no-op: %v %v", ok, err)
	}
	claimed, err := st.ClaimDueOutbox(ctx, now, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Attempts != 1 || claimed[0].State != OutboxSending {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	if again, _ := st.ClaimDueOutbox(ctx, now, 10); len(again) != 0 {
		t.Fatalf("a claimed message was claimed twice: %+v", again)
	}

	// A crash now: the reopened store releases it, and the next claim counts a second attempt.
	st = reopen()
	if n, err := st.ReleaseSending(ctx, now); err != nil || n != 1 {
		t.Fatalf("release after a crash: %d %v", n, err)
	}
	claimed, _ = st.ClaimDueOutbox(ctx, now, 10)
	if len(claimed) != 1 || claimed[0].Attempts != 2 {
		t.Fatalf("claim after the crash: %+v", claimed)
	}
	if err = st.UpdateOutbox(ctx, "m1", OutboxUpdate{State: OutboxSent, TransportID: "1700000000123", NextAttempt: now}); err != nil {
		t.Fatal(err)
	}
	// A delivery report that overtook the send's answer is kept when "sent" is recorded.
	early := &OutboxMessage{ID: "m4", Route: "twilio", Recipient: "+15550003", RequestID: "r9", Body: "b", IdempotencyKey: "r9/x", NextAttempt: now}
	_, _ = st.EnqueueOutbox(ctx, early)
	_ = st.UpdateOutbox(ctx, "m4", OutboxUpdate{State: OutboxFailed, LastError: "undelivered: 30008"})
	_ = st.UpdateOutbox(ctx, "m4", OutboxUpdate{State: OutboxSent, TransportID: "SM4"})
	if got, _ := st.GetOutbox(ctx, "m4"); got.State != OutboxFailed || got.TransportID != "SM4" || got.LastError != "undelivered: 30008" {
		t.Fatalf("an early report was overwritten: %+v", got)
	}
	found, err := st.FindOutboxByTransportID(ctx, "signal", "1700000000123")
	if err != nil || found.ID != "m1" || found.RequestID != "r1" {
		t.Fatalf("find by transport id: %+v %v", found, err)
	}
	if _, err = st.FindOutboxByTransportID(ctx, "rcs", "1700000000123"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another route's id: %v", err)
	}
	// A receipt keeps the transport id.
	if err = st.UpdateOutbox(ctx, "m1", OutboxUpdate{State: OutboxDelivered, NextAttempt: now}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOutbox(ctx, "m1")
	if got.State != OutboxDelivered || got.TransportID != "1700000000123" {
		t.Fatalf("after the receipt: %+v", got)
	}
	later := &OutboxMessage{ID: "m3", Route: "signal", Recipient: "+15550002", RequestID: "r1", Body: "b",
		IdempotencyKey: "r1/bob/signal", NextAttempt: now.Add(time.Hour)}
	if _, err = st.EnqueueOutbox(ctx, later); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.ClaimDueOutbox(ctx, now, 10); len(due) != 0 {
		t.Fatalf("a message due in an hour was claimed now: %+v", due)
	}
	counts, err := st.CountOutbox(ctx)
	if err != nil || counts[OutboxDelivered] != 1 || counts[OutboxPending] != 1 || counts[OutboxFailed] != 1 {
		t.Fatalf("counts: %v %v", counts, err)
	}
	listed, err := st.ListOutboxByRequest(ctx, "r1")
	if err != nil || len(listed) != 2 || listed[0].ID != "m1" || listed[1].ID != "m3" {
		t.Fatalf("list by request: %+v %v", listed, err)
	}
	if err = st.InsertRequest(ctx, &Request{ID: "r1", Policy: "p", EventKind: "added", Action: "resume", State: "pending",
		Quorum: 1, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if open, err := st.ListOutboxOfRequestsIn(ctx, "pending"); err != nil || len(open) != 2 || open[0].ID != "m1" {
		t.Fatalf("outbox of pending requests: %+v %v", open, err)
	}
	if none, err := st.ListOutboxOfRequestsIn(ctx, "approved"); err != nil || len(none) != 0 {
		t.Fatalf("outbox of approved requests: %+v %v", none, err)
	}
	if undelivered, err := st.ListOutboxUndelivered(ctx, 10); err != nil || len(undelivered) != 2 || undelivered[0].ID != "m3" {
		t.Fatalf("undelivered, newest first: %+v %v", undelivered, err)
	}
	// Cancelling touches only what no courier has taken: m3 (pending), not m1 (delivered).
	if n, err := st.CancelOutbox(ctx, "r1", "cancelled: request decided"); err != nil || n != 1 {
		t.Fatalf("cancel: %d %v", n, err)
	}
	if got, _ = st.GetOutbox(ctx, "m3"); got.State != OutboxDead || got.LastError != "cancelled: request decided" {
		t.Fatalf("cancelled message: %+v", got)
	}
	if got, _ = st.GetOutbox(ctx, "m1"); got.State != OutboxDelivered {
		t.Fatalf("cancel touched a delivered message: %+v", got)
	}
}

// TestInboundDeduplication: a courier's id is taken once per route, survives a reopen, and
// is forgotten after the window.
func TestInboundDeduplication(t *testing.T) { eachBackend(t, testInboundSeen) }

func testInboundSeen(t *testing.T, st *Store, reopen func() *Store) {
	ctx := context.Background()
	now := time.Now()
	for _, c := range []struct {
		route, id string
		at        time.Time
		want      bool
	}{
		{"twilio", "SM1", now, true},
		{"twilio", "SM1", now, false},
		{"rbm", "SM1", now, true},
		{"twilio", "SM1", now.Add(8 * 24 * time.Hour), true}, // past the window: forgotten
	} {
		if c.route == "rbm" {
			st = reopen()
		}
		got, err := st.FirstSighting(ctx, c.route, c.id, c.at, 7*24*time.Hour)
		if err != nil || got != c.want {
			t.Fatalf("%s %s at %v: first=%v (%v), want %v", c.route, c.id, c.at, got, err, c.want)
		}
	}
}
