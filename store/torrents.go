package store

import (
	"context"
	"fmt"
	"time"
)

// TorrentState is what the watcher last saw of one torrent.
type TorrentState struct {
	Client   string
	Hash     string
	Name     string
	State    string
	Size     int64
	Progress float64
}

// LoadTorrentStates returns the last seen state of every torrent of a client, by hash.
func (s *Store) LoadTorrentStates(ctx context.Context, client string) (map[string]*TorrentState, error) {
	rows, err := s.db.Query(ctx, "SELECT hash, name, state, size, progress FROM torrents WHERE client=$1", client)
	if err != nil {
		return nil, fmt.Errorf("store: load torrents of %s: %w", client, err)
	}
	defer rows.Close()
	out := map[string]*TorrentState{}
	for rows.Next() {
		t := &TorrentState{Client: client}
		if err = rows.Scan(&t.Hash, &t.Name, &t.State, &t.Size, &t.Progress); err != nil {
			return nil, fmt.Errorf("store: load torrents of %s: %w", client, err)
		}
		out[t.Hash] = t
	}
	return out, rows.Err()
}

// SaveTorrentStates upserts and deletes torrent states in one transaction.
func (s *Store) SaveTorrentStates(ctx context.Context, client string, upserts []*TorrentState, removed []string) error {
	return s.Txn(ctx, func(ctx context.Context) error {
		now := time.Now().UnixMilli()
		for _, t := range upserts {
			_, err := s.db.Exec(ctx, `INSERT INTO torrents (client, hash, name, state, size, progress, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (client, hash) DO UPDATE SET name=excluded.name, state=excluded.state,
					size=excluded.size, progress=excluded.progress, updated_at=excluded.updated_at`,
				client, t.Hash, t.Name, t.State, t.Size, t.Progress, now)
			if err != nil {
				return fmt.Errorf("store: save torrent %s/%s: %w", client, t.Hash, err)
			}
		}
		for _, hash := range removed {
			if _, err := s.db.Exec(ctx, "DELETE FROM torrents WHERE client=$1 AND hash=$2", client, hash); err != nil {
				return fmt.Errorf("store: delete torrent %s/%s: %w", client, hash, err)
			}
		}
		return nil
	})
}
