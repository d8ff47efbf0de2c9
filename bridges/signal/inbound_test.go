package signal

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
)

// A delivery receipt counts only from the number the card went to: anyone else who names the
// message's timestamp must not mark it delivered, or they could stop the fallback to the next
// route while the card never arrived.
func TestReceiptCountsOnlyFromTheRecipient(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msg := &store.OutboxMessage{ID: "m1", Route: "signal", Recipient: "+15550001", RequestID: "req1", Body: "sg1.x", IdempotencyKey: "k1", NextAttempt: time.Now()}
	if _, err = st.EnqueueOutbox(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if err = st.UpdateOutbox(ctx, "m1", store.OutboxUpdate{State: store.OutboxSent}); err != nil {
		t.Fatal(err)
	}
	if err = st.SetTransportID(ctx, "m1", "1700000000000"); err != nil {
		t.Fatal(err)
	}
	in := &Inbound{Store: st}
	receipt := func(from string) Envelope {
		return Envelope{SourceNumber: from, ReceiptMessage: &ReceiptMessage{IsDelivery: true, Timestamps: []int64{1700000000000}}}
	}
	state := func() store.OutboxState {
		m, err := st.GetOutbox(ctx, "m1")
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}
	for _, stranger := range []string{"+15559999", ""} {
		in.handle(ctx, receipt(stranger))
		if got := state(); got != store.OutboxSent {
			t.Fatalf("a receipt from %q marked the message %s", stranger, got)
		}
	}
	if got := in.requestOf(ctx, "+15559999", 1700000000000); got != "" {
		t.Fatalf("a stranger's quote found request %q", got)
	}
	in.handle(ctx, receipt("+15550001"))
	if got := state(); got != store.OutboxDelivered {
		t.Fatalf("the recipient's receipt left the message %s", got)
	}
}
