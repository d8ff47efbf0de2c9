package store

import (
	"context"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
)

// Challenge is one sealed challenge: a request's question sealed to one device key.
type Challenge struct {
	RequestID string
	KeyID     string
	TokenHash string
	Blob      string
	UsedAt    time.Time
}

// InsertChallenge stores a challenge.
func (s *Store) InsertChallenge(ctx context.Context, c *Challenge) error {
	_, err := s.db.Exec(ctx, `INSERT INTO challenges (request_id, key_id, token_hash, blob) VALUES ($1, $2, $3, $4)`,
		c.RequestID, c.KeyID, c.TokenHash, c.Blob)
	if err != nil {
		return fmt.Errorf("store: insert challenge for %s: %w", c.RequestID, err)
	}
	return nil
}

const challengeColumns = "request_id, key_id, token_hash, blob, used_at"

// Scan reads one row of challengeColumns.
func (*Challenge) Scan(row dbutil.Scannable) (*Challenge, error) {
	var c Challenge
	var used int64
	if err := row.Scan(&c.RequestID, &c.KeyID, &c.TokenHash, &c.Blob, &used); err != nil {
		return nil, err
	}
	c.UsedAt = fromMillis(used)
	return &c, nil
}

// ListChallenges returns a request's challenges.
func (s *Store) ListChallenges(ctx context.Context, requestID string) ([]*Challenge, error) {
	out, err := queryMany[*Challenge](ctx, s.db, "SELECT "+challengeColumns+" FROM challenges WHERE request_id=$1 ORDER BY key_id", requestID)
	if err != nil {
		return nil, fmt.Errorf("store: list challenges of %s: %w", requestID, err)
	}
	return out, nil
}

// ChallengeByTokenHash finds the challenge a token belongs to, or ErrNotFound.
func (s *Store) ChallengeByTokenHash(ctx context.Context, tokenHash string) (*Challenge, error) {
	return queryOne[*Challenge](ctx, s.db, "challenge", "SELECT "+challengeColumns+" FROM challenges WHERE token_hash=$1", tokenHash)
}

// SpendChallenge marks a token used and reports whether this call did it: of two callers
// offering the same token, exactly one gets true.
func (s *Store) SpendChallenge(ctx context.Context, requestID, keyID, tokenHash string, at time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE challenges SET used_at=$1 WHERE request_id=$2 AND key_id=$3 AND token_hash=$4 AND used_at=0`,
		millis(at), requestID, keyID, tokenHash)
	if err != nil {
		return false, fmt.Errorf("store: spend challenge: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
