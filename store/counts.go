package store

import (
	"context"
	"fmt"
)

// CountRequests returns how many requests are in each state, and how many pending requests
// still wait for their card (the outbox of cards not yet delivered).
func (s *Store) CountRequests(ctx context.Context) (byState map[string]int, uncarded int, err error) {
	rows, err := s.db.Query(ctx, "SELECT state, COUNT(*) FROM requests GROUP BY state")
	if err != nil {
		return nil, 0, fmt.Errorf("store: count requests: %w", err)
	}
	defer rows.Close()
	byState = map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err = rows.Scan(&state, &n); err != nil {
			return nil, 0, fmt.Errorf("store: count requests: %w", err)
		}
		byState[state] = n
	}
	if err = rows.Err(); err != nil {
		return nil, 0, err
	}
	err = s.db.QueryRow(ctx, "SELECT COUNT(*) FROM requests WHERE state='pending' AND card_event=''").Scan(&uncarded)
	return byState, uncarded, err
}
