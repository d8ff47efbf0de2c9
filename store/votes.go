package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/util/dbutil"
)

// Vote is one vote as received, counted or not.
type Vote struct {
	RequestID string
	Person    string
	Decision  Decision
	Assurance string
	Source    string
	Counted   bool
	Reason    string
	CreatedAt time.Time
}

// InsertVote records a vote.
// It is fenced by the lease (see fenced).
func (s *Store) InsertVote(ctx context.Context, v *Vote) error {
	return s.fenced(ctx, "insert vote on "+v.RequestID, func(ctx context.Context) error { return s.insertVote(ctx, v) })
}

func (s *Store) insertVote(ctx context.Context, v *Vote) error {
	_, err := s.db.Exec(ctx, `INSERT INTO votes (seq, request_id, person, decision, assurance, source, counted, reason, created_at)
		VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM votes), $1, $2, $3, $4, $5, $6, $7, $8)`,
		v.RequestID, v.Person, v.Decision, v.Assurance, v.Source, v.Counted, v.Reason, millis(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert vote on %s: %w", v.RequestID, err)
	}
	return nil
}

// ListVotes returns every vote on a request in the order received.
func (s *Store) ListVotes(ctx context.Context, requestID string) ([]*Vote, error) {
	return s.queryVotes(ctx, "request_id=$1", requestID)
}

// VotesFromEvent returns the votes a Matrix event carried: its id is a whole word of their
// source ("reaction $id", "reply $id trust …"), never merely the start of a longer id.
func (s *Store) VotesFromEvent(ctx context.Context, eventID string) ([]*Vote, error) {
	escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(eventID)
	return s.queryVotes(ctx, `(source LIKE $1 ESCAPE '\' OR source LIKE $2 ESCAPE '\')`, "% "+escaped, "% "+escaped+" %")
}

func (s *Store) queryVotes(ctx context.Context, where string, args ...any) ([]*Vote, error) {
	votes, err := queryMany[*Vote](ctx, s.db, `SELECT request_id, person, decision, assurance, source, counted, reason, created_at
		FROM votes WHERE `+where+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: votes where %s: %w", where, err)
	}
	return votes, nil
}

// Scan reads one vote row.
func (*Vote) Scan(row dbutil.Scannable) (*Vote, error) {
	var v Vote
	var at int64
	if err := row.Scan(&v.RequestID, &v.Person, &v.Decision, &v.Assurance, &v.Source, &v.Counted, &v.Reason, &at); err != nil {
		return nil, err
	}
	v.CreatedAt = fromMillis(at)
	return &v, nil
}
