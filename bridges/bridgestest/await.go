// Package bridgestest holds what the bridges' tests share.
package bridgestest

import (
	"context"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
)

// AwaitOutbox waits until the outbox message with idempotency key key satisfies done, and
// returns it. The outbox is only known by reading the store, so this polls.
func AwaitOutbox(ctx context.Context, t *testing.T, st *store.Store, key string, done func(*store.OutboxMessage) bool) *store.OutboxMessage {
	t.Helper()
	for {
		m, err := st.FindOutboxByKey(ctx, key)
		if err == nil && done(m) {
			return m
		}
		select {
		case <-ctx.Done():
			t.Fatalf("outbox message %s: condition never met (last %+v, %v)", key, m, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// InState is a condition for AwaitOutbox.
func InState(state store.OutboxState) func(*store.OutboxMessage) bool {
	return func(m *store.OutboxMessage) bool { return m.State == state }
}
