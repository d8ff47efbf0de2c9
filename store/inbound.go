package store

import (
	"context"
	"fmt"
	"time"
)

// FirstSighting records that a courier delivered id over route and reports whether this is
// the first time: webhook retries and replays of the same id give false. Ids older than
// forget are dropped first, so the table stays as small as the couriers' retry windows.
func (s *Store) FirstSighting(ctx context.Context, route, id string, now time.Time, forget time.Duration) (bool, error) {
	if _, err := s.db.Exec(ctx, `DELETE FROM inbound_seen WHERE seen_at < $1`, millis(now.Add(-forget))); err != nil {
		return false, fmt.Errorf("store: forget old inbound ids: %w", err)
	}
	res, err := s.db.Exec(ctx, `INSERT INTO inbound_seen (route, id, seen_at) VALUES ($1, $2, $3)
		ON CONFLICT (route, id) DO NOTHING`, route, id, millis(now))
	if err != nil {
		return false, fmt.Errorf("store: record inbound id: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
