package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestPasskeyNoncesSpendOnceAndAreForgotten: a nonce is spent once, never after its expiry,
// and a day past its expiry its row is gone with the next nonce given out.
func TestPasskeyNoncesSpendOnceAndAreForgotten(t *testing.T) {
	ctx := context.Background()
	st := mustOpen(t, "sqlite", filepath.Join(t.TempDir(), "n.db"))
	now := time.Now()
	for _, n := range []*PasskeyNonce{
		{NonceHash: "live", RequestID: "r1", Outcome: "approve", ExpiresAt: now.Add(time.Minute)},
		{NonceHash: "lapsed", RequestID: "r1", Outcome: "approve", ExpiresAt: now.Add(-time.Minute)},
	} {
		if err := st.InsertPasskeyNonce(ctx, n, now); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := st.SpendPasskeyNonce(ctx, "live", "r2", now); ok {
		t.Fatal("a nonce was spent on another request")
	}
	if ok, _ := st.SpendPasskeyNonce(ctx, "live", "r1", now); !ok {
		t.Fatal("a live nonce was not spent")
	}
	if ok, _ := st.SpendPasskeyNonce(ctx, "live", "r1", now); ok {
		t.Fatal("a nonce was spent twice")
	}
	if ok, _ := st.SpendPasskeyNonce(ctx, "lapsed", "r1", now); ok {
		t.Fatal("an expired nonce was spent")
	}
	if err := st.InsertPasskeyNonce(ctx, &PasskeyNonce{NonceHash: "tomorrow", RequestID: "r3", Outcome: "deny", ExpiresAt: now.Add(25*time.Hour + time.Minute)}, now.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetPasskeyNonce(ctx, "lapsed"); err == nil {
		t.Fatal("a nonce a day past its expiry was kept")
	}
	if _, err := st.GetPasskeyNonce(ctx, "tomorrow"); err != nil {
		t.Fatalf("the new nonce is missing: %v", err)
	}
}
