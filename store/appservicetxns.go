package store

import (
	"context"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
)

// AppserviceTxn is one transaction the homeserver pushed, as it came.
type AppserviceTxn struct {
	ID         string
	Body       []byte
	ReceivedAt time.Time
}

// handledTxnKeep is how long a handled transaction's id is kept to recognise a redelivery.
const handledTxnKeep = 24 * time.Hour

// SaveAppserviceTxn keeps a pushed transaction before it is acknowledged. It reports false
// when the id is known already (a redelivery), which is then acknowledged and not handled again.
func (s *Store) SaveAppserviceTxn(ctx context.Context, id string, body []byte, at time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `INSERT INTO appservice_txns (txn_id, body, received_at) VALUES ($1, $2, $3)
		ON CONFLICT (txn_id) DO NOTHING`, id, string(body), millis(at))
	if err != nil {
		return false, fmt.Errorf("store: keep appservice transaction %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PendingAppserviceTxns returns up to limit transactions not yet handled, oldest first.
func (s *Store) PendingAppserviceTxns(ctx context.Context, limit int) ([]*AppserviceTxn, error) {
	out, err := queryMany[*AppserviceTxn](ctx, s.db, `SELECT txn_id, body, received_at FROM appservice_txns
		WHERE handled_at = 0 ORDER BY received_at, txn_id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending appservice transactions: %w", err)
	}
	return out, nil
}

// Scan reads one pending transaction row.
func (*AppserviceTxn) Scan(row dbutil.Scannable) (*AppserviceTxn, error) {
	var t AppserviceTxn
	var body string
	var at int64
	if err := row.Scan(&t.ID, &body, &at); err != nil {
		return nil, err
	}
	t.Body, t.ReceivedAt = []byte(body), fromMillis(at)
	return &t, nil
}

// MarkAppserviceTxnHandled records that every event of a transaction was handled: its body
// goes, its id stays a day to recognise a redelivery, and older handled ones are forgotten.
func (s *Store) MarkAppserviceTxnHandled(ctx context.Context, id string, at time.Time) error {
	return s.Txn(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `UPDATE appservice_txns SET handled_at=$2, body='' WHERE txn_id=$1`, id, millis(at)); err != nil {
			return fmt.Errorf("store: mark appservice transaction %s handled: %w", id, err)
		}
		if _, err := s.db.Exec(ctx, `DELETE FROM appservice_txns WHERE handled_at > 0 AND handled_at < $1`, millis(at.Add(-handledTxnKeep))); err != nil {
			return fmt.Errorf("store: forget old appservice transactions: %w", err)
		}
		return nil
	})
}

// ForgetPendingAppserviceTxns drops the transactions not yet handled (the bot uses /sync,
// which brings the same events).
func (s *Store) ForgetPendingAppserviceTxns(ctx context.Context) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM appservice_txns WHERE handled_at = 0`); err != nil {
		return fmt.Errorf("store: forget pending appservice transactions: %w", err)
	}
	return nil
}
