package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"go.mau.fi/util/dbutil"
)

// Announcement is a notice an announce-only policy asked for, kept until it is posted.
type Announcement struct {
	ID        string // sorts by creation time
	Policy    string
	Payload   string // the torrent event, as JSON
	CreatedAt time.Time
}

// lastAnnouncementNanos keeps this process's announcement ids strictly increasing when two
// come in the same nanosecond, so their order is the order they came.
var lastAnnouncementNanos atomic.Int64

func newAnnouncementID(at time.Time) string {
	n := at.UnixNano()
	for {
		last := lastAnnouncementNanos.Load()
		if n <= last {
			n = last + 1
		}
		if lastAnnouncementNanos.CompareAndSwap(last, n) {
			break
		}
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	return fmt.Sprintf("%020d-%s", n, hex.EncodeToString(suffix[:]))
}

// EnqueueAnnouncement keeps a notice to post. It is fenced by the lease (see fenced).
func (s *Store) EnqueueAnnouncement(ctx context.Context, policy, payload string, at time.Time) (*Announcement, error) {
	a := &Announcement{ID: newAnnouncementID(at), Policy: policy, Payload: payload, CreatedAt: at}
	err := s.fenced(ctx, "enqueue announcement", func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, "INSERT INTO announcements (id, policy, payload, created_at) VALUES ($1, $2, $3, $4)",
			a.ID, a.Policy, a.Payload, millis(at))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: enqueue announcement: %w", err)
	}
	return a, nil
}

// UnpostedAnnouncements lists up to limit notices not posted yet, oldest first.
func (s *Store) UnpostedAnnouncements(ctx context.Context, limit int) ([]*Announcement, error) {
	out, err := queryMany[*Announcement](ctx, s.db, "SELECT id, policy, payload, created_at FROM announcements WHERE posted_at=0 ORDER BY id LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("store: list announcements: %w", err)
	}
	return out, nil
}

// Scan reads one announcement row.
func (*Announcement) Scan(row dbutil.Scannable) (*Announcement, error) {
	a := &Announcement{}
	var created int64
	if err := row.Scan(&a.ID, &a.Policy, &a.Payload, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = time.UnixMilli(created)
	return a, nil
}

// MarkAnnouncementPosted records that the homeserver took the notice. It is fenced by the
// lease (see fenced).
func (s *Store) MarkAnnouncementPosted(ctx context.Context, id string, at time.Time) error {
	return s.fenced(ctx, "mark announcement posted", func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "UPDATE announcements SET posted_at=$1 WHERE id=$2", millis(at), id); err != nil {
			return fmt.Errorf("store: mark announcement %s posted: %w", id, err)
		}
		return nil
	})
}
