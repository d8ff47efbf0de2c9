package store

import (
	"context"
	"fmt"
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
