package bridges

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/bridges/bridgestest"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// scriptedTransport fails each recipient's first sends as scripted, then succeeds.
type scriptedTransport struct {
	mu       sync.Mutex
	failures map[string][]error
	sent     map[string]int
}

func (s *scriptedTransport) Route() string { return "test" }

func (s *scriptedTransport) Send(_ context.Context, m *store.OutboxMessage) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errs := s.failures[m.Recipient]; len(errs) > 0 {
		s.failures[m.Recipient] = errs[1:]
		return "", errs[0]
	}
	s.sent[m.Recipient]++
	return "id-" + m.Recipient, nil
}

func (s *scriptedTransport) sends(recipient string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[recipient]
}

func enqueue(t *testing.T, ctx context.Context, st *store.Store, recipient string) {
	t.Helper()
	if _, err := st.EnqueueOutbox(ctx, &store.OutboxMessage{ID: "msg-" + recipient, Route: "test", Recipient: recipient,
		RequestID: "r1", Body: "sealed", IdempotencyKey: "r1/" + recipient, NextAttempt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxRetriesDeadLettersAndHolds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	network := &SendError{Reason: "network", Err: errors.New("connection reset")}
	transport := &scriptedTransport{sent: map[string]int{}, failures: map[string][]error{
		"flaky":    {network, network},
		"gone":     {&SendError{Reason: "unregistered", Permanent: true, Err: errors.New("not on Signal")}},
		"hopeless": {network, network, network, network, network},
		"changed":  {&SendError{Reason: "untrusted", Held: true, Err: errors.New("safety number changed")}},
		"limited":  {&SendError{Reason: "rate_limited", RetryAfter: time.Hour, Err: errors.New("slow down")}},
	}}
	o := NewOutbox(st, transport)
	o.Budget, o.BaseDelay, o.MaxDelay, o.Tick = 4, time.Millisecond, 4*time.Millisecond, 5*time.Millisecond
	for _, r := range []string{"ok", "flaky", "gone", "hopeless", "changed", "limited"} {
		enqueue(t, ctx, st, r)
	}
	if ok, err := o.Enqueue(ctx, "test", "ok", "r1", "sealed", "r1/ok"); ok || err != nil {
		t.Fatalf("enqueueing the same key again: %v %v", ok, err)
	}
	if _, err := o.Enqueue(ctx, "sms", "x", "r1", "b", "k"); err == nil || !strings.Contains(err.Error(), "sms") {
		t.Fatalf("an unknown route: %v", err)
	}
	deadBefore := metrics.OutboxDeadLetters.Value("test", "unregistered")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = o.Run(runCtx) }()
	defer func() { stop(); <-done }()

	if m := bridgestest.AwaitOutbox(ctx, t, st, "r1/ok", bridgestest.InState(store.OutboxSent)); m.TransportID != "id-ok" || m.Attempts != 1 {
		t.Fatalf("ok: %+v", m)
	}
	if m := bridgestest.AwaitOutbox(ctx, t, st, "r1/flaky", bridgestest.InState(store.OutboxSent)); m.Attempts != 3 || transport.sends("flaky") != 1 {
		t.Fatalf("flaky: %+v, sent %d times", m, transport.sends("flaky"))
	}
	if m := bridgestest.AwaitOutbox(ctx, t, st, "r1/gone", bridgestest.InState(store.OutboxDead)); !strings.HasPrefix(m.LastError, "unregistered") || m.Attempts != 1 {
		t.Fatalf("gone: %+v", m)
	}
	if metrics.OutboxDeadLetters.Value("test", "unregistered") != deadBefore+1 {
		t.Fatal("the dead letter was not counted")
	}
	if m := bridgestest.AwaitOutbox(ctx, t, st, "r1/hopeless", bridgestest.InState(store.OutboxDead)); !strings.HasPrefix(m.LastError, "budget_spent after 4 attempts") {
		t.Fatalf("hopeless: %+v", m)
	}
	m := bridgestest.AwaitOutbox(ctx, t, st, "r1/changed", bridgestest.InState(store.OutboxRetry))
	if !strings.HasPrefix(m.LastError, "untrusted") || time.Until(m.NextAttempt) < 5*time.Minute {
		t.Fatalf("a held message must wait for a person: %+v", m)
	}
	m = bridgestest.AwaitOutbox(ctx, t, st, "r1/limited", bridgestest.InState(store.OutboxRetry))
	if time.Until(m.NextAttempt) < 50*time.Minute {
		t.Fatalf("the courier's retry-after must be honoured: %+v", m)
	}
}

// TestOutboxResendsAfterACrash: a message claimed by a process that died before recording the
// result is sent again by the next one, and counted as a possible duplicate.
func TestOutboxResendsAfterACrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "o.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, ctx, st, "alice")
	if claimed, err := st.ClaimDueOutbox(ctx, time.Now(), 10); err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	_ = st.Close() // the crash: claimed, maybe sent, never recorded

	st, err = store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	transport := &scriptedTransport{sent: map[string]int{}, failures: map[string][]error{}}
	o := NewOutbox(st, transport)
	before := metrics.OutboxResent.Value("test")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = o.Run(runCtx) }()
	defer func() { stop(); <-done }()
	m := bridgestest.AwaitOutbox(ctx, t, st, "r1/alice", bridgestest.InState(store.OutboxSent))
	if m.Attempts != 2 || transport.sends("alice") != 1 || metrics.OutboxResent.Value("test") != before+1 {
		t.Fatalf("after the crash: %+v, sent %d, resent counter %v", m, transport.sends("alice"), metrics.OutboxResent.Value("test")-before)
	}
}
