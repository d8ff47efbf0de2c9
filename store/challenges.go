package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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

// ListChallenges returns a request's challenges.
func (s *Store) ListChallenges(ctx context.Context, requestID string) ([]*Challenge, error) {
	rows, err := s.db.Query(ctx, `SELECT request_id, key_id, token_hash, blob, used_at FROM challenges
		WHERE request_id=$1 ORDER BY key_id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("store: list challenges of %s: %w", requestID, err)
	}
	defer rows.Close()
	var out []*Challenge
	for rows.Next() {
		var c Challenge
		var used int64
		if err = rows.Scan(&c.RequestID, &c.KeyID, &c.TokenHash, &c.Blob, &used); err != nil {
			return nil, fmt.Errorf("store: list challenges of %s: %w", requestID, err)
		}
		c.UsedAt = fromMillis(used)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// ChallengeByTokenHash finds the challenge a token belongs to, or ErrNotFound.
func (s *Store) ChallengeByTokenHash(ctx context.Context, tokenHash string) (*Challenge, error) {
	var c Challenge
	var used int64
	err := s.db.QueryRow(ctx, `SELECT request_id, key_id, token_hash, blob, used_at FROM challenges WHERE token_hash=$1`,
		tokenHash).Scan(&c.RequestID, &c.KeyID, &c.TokenHash, &c.Blob, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: challenge: %w", ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("store: challenge: %w", err)
	}
	c.UsedAt = fromMillis(used)
	return &c, nil
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
