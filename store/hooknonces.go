package store

import (
	"context"
	"fmt"
	"time"
)

// SpendNonce records a hook call's nonce as seen and reports whether it was new, forgetting
// nonces seen before forgetBefore (their calls are past the window). Kept in the database, a
// nonce stays spent across restarts. It implements crypto.NonceLedger.
func (s *Store) SpendNonce(ctx context.Context, nonce string, now, forgetBefore time.Time) (bool, error) {
	fresh := false
	err := s.Txn(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `DELETE FROM hook_nonces WHERE seen_at < $1`, millis(forgetBefore)); err != nil {
			return fmt.Errorf("store: forget old hook nonces: %w", err)
		}
		res, err := s.db.Exec(ctx, `INSERT INTO hook_nonces (nonce, seen_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING`, nonce, millis(now))
		if err != nil {
			return fmt.Errorf("store: record hook nonce: %w", err)
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		return nil
	})
	return fresh, err
}
