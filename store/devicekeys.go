package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
)

// DeviceKeyRecord is a device key enrolled or revoked from Matrix. Enrollment is the key's
// enrollment line; By names the Matrix user and device that sent the command.
type DeviceKeyRecord struct {
	KeyID      string
	Person     string
	Enrollment string
	EnrolledBy string
	EnrolledAt time.Time
	RevokedBy  string
	RevokedAt  time.Time // zero while the key is in use
}

// EnrollDeviceKey records a newly enrolled key, with its audit entry, in one transaction. A
// key already known (in use or revoked) is left as it is: a revoked key is never brought back
// by enrolling it again.
func (s *Store) EnrollDeviceKey(ctx context.Context, k *DeviceKeyRecord) error {
	return s.Txn(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `INSERT INTO device_keys (key_id, person, enrollment, enrolled_by, enrolled_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING`,
			k.KeyID, k.Person, k.Enrollment, k.EnrolledBy, millis(k.EnrolledAt))
		if err != nil {
			return fmt.Errorf("store: enroll device key %s: %w", k.KeyID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.AppendAudit(ctx, "device_key_enrolled", "", map[string]string{"key_id": k.KeyID, "person": k.Person, "by": k.EnrolledBy})
	})
}

// RevokeDeviceKey marks a key revoked, with its audit entry, in one transaction. A key the
// config lists (and so has no row yet) gets a row that says it is revoked. Revoking twice
// changes nothing the second time.
func (s *Store) RevokeDeviceKey(ctx context.Context, k *DeviceKeyRecord) error {
	return s.Txn(ctx, func(ctx context.Context) error {
		at := millis(k.RevokedAt)
		if _, err := s.db.Exec(ctx, `INSERT INTO device_keys (key_id, person, enrollment, enrolled_by, enrolled_at)
			VALUES ($1, $2, $3, 'config', $4) ON CONFLICT (key_id) DO NOTHING`, k.KeyID, k.Person, k.Enrollment, at); err != nil {
			return fmt.Errorf("store: revoke device key %s: %w", k.KeyID, err)
		}
		res, err := s.db.Exec(ctx, `UPDATE device_keys SET revoked_by=$2, revoked_at=$3 WHERE key_id=$1 AND revoked_at IS NULL`,
			k.KeyID, k.RevokedBy, at)
		if err != nil {
			return fmt.Errorf("store: revoke device key %s: %w", k.KeyID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.AppendAudit(ctx, "device_key_revoked", "", map[string]string{"key_id": k.KeyID, "person": k.Person, "by": k.RevokedBy})
	})
}

// ListDeviceKeys returns every key enrolled or revoked from Matrix, oldest first.
func (s *Store) ListDeviceKeys(ctx context.Context) ([]*DeviceKeyRecord, error) {
	out, err := queryMany[*DeviceKeyRecord](ctx, s.db, `SELECT key_id, person, enrollment, enrolled_by, enrolled_at, revoked_by, revoked_at
		FROM device_keys ORDER BY enrolled_at, key_id`)
	if err != nil {
		return nil, fmt.Errorf("store: list device keys: %w", err)
	}
	return out, nil
}

// Scan reads one device_keys row.
func (*DeviceKeyRecord) Scan(row dbutil.Scannable) (*DeviceKeyRecord, error) {
	var k DeviceKeyRecord
	var enrolledAt int64
	var revokedBy sql.NullString
	var revokedAt sql.NullInt64
	if err := row.Scan(&k.KeyID, &k.Person, &k.Enrollment, &k.EnrolledBy, &enrolledAt, &revokedBy, &revokedAt); err != nil {
		return nil, err
	}
	k.EnrolledAt, k.RevokedBy = fromMillis(enrolledAt), revokedBy.String
	if revokedAt.Valid {
		k.RevokedAt = fromMillis(revokedAt.Int64)
	}
	return &k, nil
}
