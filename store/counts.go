package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CountRequests returns how many requests are in each state.
func (s *Store) CountRequests(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.Query(ctx, "SELECT state, COUNT(*) FROM requests GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("store: count requests: %w", err)
	}
	defer rows.Close()
	byState := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err = rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("store: count requests: %w", err)
		}
		byState[state] = n
	}
	return byState, rows.Err()
}

// CountUncarded returns how many pending requests still wait for their card (the outbox of
// cards not yet delivered).
func (s *Store) CountUncarded(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM requests WHERE state='pending' AND card_event=''").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count uncarded requests: %w", err)
	}
	return n, nil
}

// OldestUncarded returns when the oldest pending request still waiting for its card was
// opened; ok is false when every pending request has its card. A card sent for one of them
// but not recorded (a crash in between) is no older than that.
func (s *Store) OldestUncarded(ctx context.Context) (oldest time.Time, ok bool, err error) {
	var at sql.NullInt64
	if err = s.db.QueryRow(ctx, "SELECT MIN(created_at) FROM requests WHERE state='pending' AND card_event=''").Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest uncarded request: %w", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(at.Int64), true, nil
}
