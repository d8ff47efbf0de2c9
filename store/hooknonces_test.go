package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedgate/seedgate/crypto"
)

var _ crypto.NonceLedger = (*Store)(nil)

// A hook call captured on the network and replayed right after seedgate restarts is refused:
// its nonce is still spent, in the database.
func TestHookNonceSurvivesRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store, reopen func() *Store) {
		ctx := context.Background()
		secret := []byte("0123456789abcdef0123456789abcdef")
		body := []byte(`{"client":"box","event":"added","hash":"ab"}`)
		now := time.Now()
		header := crypto.SignHook(secret, now, body)
		if err := crypto.NewHookVerifier(secret, time.Minute, st).Verify(ctx, header, body, now); err != nil {
			t.Fatal(err)
		}
		st = reopen()
		err := crypto.NewHookVerifier(secret, time.Minute, st).Verify(ctx, header, body, now.Add(time.Second))
		if !errors.Is(err, crypto.ErrReplayedNonce) {
			t.Fatalf("replay after restart: %v", err)
		}
		// Nonces past twice the window are forgotten; their calls fail on age anyway.
		fresh, err := st.SpendNonce(ctx, "other", now.Add(3*time.Minute), now.Add(time.Minute))
		if err != nil || !fresh {
			t.Fatal(fresh, err)
		}
		var left int
		if err = st.db.QueryRow(ctx, `SELECT COUNT(*) FROM hook_nonces`).Scan(&left); err != nil || left != 1 {
			t.Fatalf("old nonces kept: %d %v", left, err)
		}
	})
}
