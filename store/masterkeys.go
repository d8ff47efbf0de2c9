package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
)

// MasterKeyPin is the cross-signing master key seedgate trusts for one Matrix user, and the
// different key it last saw published for them, if any.
type MasterKeyPin struct {
	UserID    string
	Pinned    string
	PinnedBy  string
	PinnedAt  time.Time
	Changed   string // a master key seen since that is not the pinned one; "" while they agree
	ChangedAt time.Time
}

// ErrPinMismatch says a re-pin named a key other than the one last seen for the user.
var ErrPinMismatch = errors.New("that is not the master key last seen for this user")

const masterKeyColumns = `user_id, pinned, pinned_by, pinned_at, changed, changed_at`

// Scan reads one row of masterKeyColumns.
func (*MasterKeyPin) Scan(row dbutil.Scannable) (*MasterKeyPin, error) {
	var p MasterKeyPin
	var pinnedAt, changedAt int64
	if err := row.Scan(&p.UserID, &p.Pinned, &p.PinnedBy, &pinnedAt, &p.Changed, &changedAt); err != nil {
		return nil, err
	}
	p.PinnedAt = fromMillis(pinnedAt)
	if changedAt != 0 {
		p.ChangedAt = fromMillis(changedAt)
	}
	return &p, nil
}

// GetMasterKeyPin returns a user's pin, or ErrNotFound before the first sighting.
func (s *Store) GetMasterKeyPin(ctx context.Context, userID string) (*MasterKeyPin, error) {
	return queryOne[*MasterKeyPin](ctx, s.db, "master key of "+userID, `SELECT `+masterKeyColumns+` FROM master_keys WHERE user_id=$1`, userID)
}

// PinMasterKey pins key for a user seen for the first time (trust on first use) and returns
// the pin in force: the existing one when there is one, since a later key never replaces it.
func (s *Store) PinMasterKey(ctx context.Context, userID, key, by string, at time.Time) (*MasterKeyPin, error) {
	err := s.Txn(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `INSERT INTO master_keys (user_id, pinned, pinned_by, pinned_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING`, userID, key, by, millis(at))
		if err != nil {
			return fmt.Errorf("store: pin master key of %s: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.AppendAudit(ctx, "master_key_pinned", "", map[string]string{"user": userID, "master_key": key, "by": by})
	})
	if err != nil {
		return nil, err
	}
	return s.GetMasterKeyPin(ctx, userID)
}

// NoteMasterKeyChange records that a user now publishes key, which is not their pinned one.
// It reports whether this key is news (not the change already noted), so the people concerned
// are told once per new key.
func (s *Store) NoteMasterKeyChange(ctx context.Context, userID, key string, at time.Time) (bool, error) {
	fresh := false
	err := s.Txn(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE master_keys SET changed=$2, changed_at=$3
			WHERE user_id=$1 AND pinned<>$2 AND changed<>$2`, userID, key, millis(at))
		if err != nil {
			return fmt.Errorf("store: note master key change of %s: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		fresh = true
		return s.AppendAudit(ctx, "master_key_changed", "", map[string]string{"user": userID, "master_key": key})
	})
	return fresh, err
}

// RepinMasterKey makes the key last seen for a user their pinned one: the operator's word,
// after checking it with the person out of band. key must be that last-seen key, so the
// operator pins exactly what they compared.
func (s *Store) RepinMasterKey(ctx context.Context, userID, key, by string, at time.Time) error {
	return s.Txn(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE master_keys SET pinned=$2, pinned_by=$3, pinned_at=$4, changed='', changed_at=0
			WHERE user_id=$1 AND changed=$2 AND changed<>''`, userID, key, by, millis(at))
		if err != nil {
			return fmt.Errorf("store: re-pin master key of %s: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: re-pin master key of %s: %w", userID, ErrPinMismatch)
		}
		return s.AppendAudit(ctx, "master_key_repinned", "", map[string]string{"user": userID, "master_key": key, "by": by})
	})
}

// ListMasterKeyPins returns every pin, by user id.
func (s *Store) ListMasterKeyPins(ctx context.Context) ([]*MasterKeyPin, error) {
	out, err := queryMany[*MasterKeyPin](ctx, s.db, `SELECT `+masterKeyColumns+` FROM master_keys ORDER BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("store: list master keys: %w", err)
	}
	return out, nil
}
