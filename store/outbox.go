package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/util/dbutil"
)

// OutboxMessage is one message to one recipient over one route.
type OutboxMessage struct {
	ID             string
	Route          string
	Recipient      string
	RequestID      string
	Body           string
	IdempotencyKey string
	State          OutboxState
	Attempts       int
	NextAttempt    time.Time
	LastError      string
	TransportID    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const outboxColumns = `id, route, recipient, request_id, body, idempotency_key, state, attempts, next_attempt,
	last_error, transport_id, created_at, updated_at`

// Scan reads one row of outboxColumns.
func (*OutboxMessage) Scan(row dbutil.Scannable) (*OutboxMessage, error) {
	var m OutboxMessage
	var next, created, updated int64
	if err := row.Scan(&m.ID, &m.Route, &m.Recipient, &m.RequestID, &m.Body, &m.IdempotencyKey, &m.State, &m.Attempts,
		&next, &m.LastError, &m.TransportID, &created, &updated); err != nil {
		return nil, err
	}
	m.NextAttempt, m.CreatedAt, m.UpdatedAt = time.UnixMilli(next), time.UnixMilli(created), time.UnixMilli(updated)
	return &m, nil
}

// EnqueueOutbox writes a message before anything is sent. It reports false, and writes
// nothing, when a message with the same idempotency key exists.
// It is fenced by the lease (see fenced).
func (s *Store) EnqueueOutbox(ctx context.Context, m *OutboxMessage) (bool, error) {
	var ok bool
	err := s.fenced(ctx, "enqueue outbox message", func(ctx context.Context) (err error) {
		ok, err = s.enqueueOutbox(ctx, m)
		return err
	})
	return ok, err
}

func (s *Store) enqueueOutbox(ctx context.Context, m *OutboxMessage) (bool, error) {
	now := millis(time.Now())
	res, err := s.db.Exec(ctx, `INSERT INTO outbox (`+outboxColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, '', '', $9, $9)
		ON CONFLICT (idempotency_key) DO NOTHING`,
		m.ID, m.Route, m.Recipient, m.RequestID, m.Body, m.IdempotencyKey, OutboxPending, millis(m.NextAttempt), now)
	if err != nil {
		return false, fmt.Errorf("store: enqueue outbox message for %s: %w", m.Route, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ClaimDueOutbox marks up to limit due messages as sending and returns them. Each claim is a
// compare-and-set, so two workers never send one message.
// It is fenced by the lease (see fenced).
func (s *Store) ClaimDueOutbox(ctx context.Context, now time.Time, limit int) ([]*OutboxMessage, error) {
	var out []*OutboxMessage
	err := s.fenced(ctx, "claim outbox messages", func(ctx context.Context) (err error) {
		out, err = s.claimDueOutbox(ctx, now, limit)
		return err
	})
	return out, err
}

func (s *Store) claimDueOutbox(ctx context.Context, now time.Time, limit int) ([]*OutboxMessage, error) {
	due, err := s.queryOutbox(ctx, "due", `SELECT `+outboxColumns+` FROM outbox
		WHERE state IN ($1, $2) AND next_attempt <= $3 ORDER BY next_attempt, created_at LIMIT $4`,
		OutboxPending, OutboxRetry, millis(now), limit)
	if err != nil {
		return nil, err
	}
	var claimed []*OutboxMessage
	for _, m := range due {
		res, err := s.db.Exec(ctx, `UPDATE outbox SET state=$1, attempts=attempts+1, updated_at=$2 WHERE id=$3 AND state=$4`,
			OutboxSending, millis(now), m.ID, m.State)
		if err != nil {
			return claimed, fmt.Errorf("store: claim outbox message %s: %w", m.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			m.State, m.Attempts = OutboxSending, m.Attempts+1
			claimed = append(claimed, m)
		}
	}
	return claimed, nil
}

// ReleaseSending makes messages left in sending by a crash due again, and returns how many:
// each may have reached the courier already.
func (s *Store) ReleaseSending(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.Exec(ctx, `UPDATE outbox SET state=$1, next_attempt=$2, updated_at=$2 WHERE state=$3`,
		OutboxRetry, millis(now), OutboxSending)
	if err != nil {
		return 0, fmt.Errorf("store: release outbox messages left sending: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// OutboxUpdate is the result of a send attempt or a receipt.
type OutboxUpdate struct {
	State       OutboxState
	NextAttempt time.Time // for OutboxRetry
	LastError   string
	TransportID string
}

// UpdateOutbox records what happened to a message.
func (s *Store) UpdateOutbox(ctx context.Context, id string, u OutboxUpdate) error {
	// A courier may report delivery before its send call has returned: "sent" then must not
	// overwrite the report, only add the courier's id.
	_, err := s.db.Exec(ctx, `UPDATE outbox SET
		state=CASE WHEN $1 = $7 AND state IN ($8, $9) THEN state ELSE $1 END,
		last_error=CASE WHEN $1 = $7 AND state IN ($8, $9) THEN last_error ELSE $3 END,
		next_attempt=$2, transport_id=CASE WHEN $4 = '' THEN transport_id ELSE $4 END, updated_at=$5 WHERE id=$6`,
		u.State, millis(u.NextAttempt), u.LastError, u.TransportID, millis(time.Now()), id, OutboxSent, OutboxDelivered, OutboxFailed)
	if err != nil {
		return fmt.Errorf("store: update outbox message %s: %w", id, err)
	}
	return nil
}

// SetTransportID records the courier's id of a message before it is sent.
func (s *Store) SetTransportID(ctx context.Context, id, transportID string) error {
	if _, err := s.db.Exec(ctx, `UPDATE outbox SET transport_id=$1 WHERE id=$2`, transportID, id); err != nil {
		return fmt.Errorf("store: set transport id of %s: %w", id, err)
	}
	return nil
}

// GetOutbox returns one message.
func (s *Store) GetOutbox(ctx context.Context, id string) (*OutboxMessage, error) {
	return queryOne[*OutboxMessage](ctx, s.db, "get outbox message "+id, `SELECT `+outboxColumns+` FROM outbox WHERE id=$1`, id)
}

// FindOutboxByTransportID returns the message a courier knows as transportID (a reply's
// quote), or ErrNotFound.
func (s *Store) FindOutboxByTransportID(ctx context.Context, route, transportID string) (*OutboxMessage, error) {
	if transportID == "" {
		return nil, ErrNotFound
	}
	return queryOne[*OutboxMessage](ctx, s.db, "find outbox message "+route+"/"+transportID,
		`SELECT `+outboxColumns+` FROM outbox WHERE route=$1 AND transport_id=$2`, route, transportID)
}

// FindOutboxByKey returns the message with this idempotency key, or ErrNotFound.
func (s *Store) FindOutboxByKey(ctx context.Context, key string) (*OutboxMessage, error) {
	return queryOne[*OutboxMessage](ctx, s.db, "find outbox message by key", `SELECT `+outboxColumns+` FROM outbox WHERE idempotency_key=$1`, key)
}

// CountOutbox counts messages by state.
func (s *Store) CountOutbox(ctx context.Context) (map[OutboxState]int, error) {
	rows, err := s.db.Query(ctx, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count outbox: %w", err)
	}
	defer rows.Close()
	out := map[OutboxState]int{}
	for rows.Next() {
		var state OutboxState
		var n int
		if err = rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("store: count outbox: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}

// ListOutboxByRequest returns every message for one request, oldest first.
func (s *Store) ListOutboxByRequest(ctx context.Context, requestID string) ([]*OutboxMessage, error) {
	return s.queryOutbox(ctx, "of request "+requestID,
		`SELECT `+outboxColumns+` FROM outbox WHERE request_id=$1 ORDER BY created_at, id`, requestID)
}

// ListOutboxOfRequestsIn returns every message of every request in state, oldest first: one
// query for what the broker checks each tick.
func (s *Store) ListOutboxOfRequestsIn(ctx context.Context, state RequestState) ([]*OutboxMessage, error) {
	return s.queryOutbox(ctx, "of "+string(state)+" requests", `SELECT `+prefixed("o.", outboxColumns)+` FROM outbox o
		JOIN requests r ON r.id = o.request_id WHERE r.state=$1 ORDER BY o.created_at, o.id`, state)
}

// queryOutbox runs a query selecting outboxColumns and scans every row.
func (s *Store) queryOutbox(ctx context.Context, what, query string, args ...any) ([]*OutboxMessage, error) {
	msgs, err := queryMany[*OutboxMessage](ctx, s.db, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list outbox %s: %w", what, err)
	}
	return msgs, nil
}

// prefixed qualifies every column of a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// CancelOutbox dead-letters the messages of a request that have not been handed to a courier
// yet, with reason, and returns how many: a decided request's card need not travel on.
func (s *Store) CancelOutbox(ctx context.Context, requestID, reason string) (int, error) {
	now := millis(time.Now())
	res, err := s.db.Exec(ctx, `UPDATE outbox SET state=$1, last_error=$2, updated_at=$3
		WHERE request_id=$4 AND state IN ($5, $6)`, OutboxDead, reason, now, requestID, OutboxPending, OutboxRetry)
	if err != nil {
		return 0, fmt.Errorf("store: cancel outbox of request %s: %w", requestID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListOutboxUndelivered returns up to limit messages not (yet) confirmed delivered, newest first.
func (s *Store) ListOutboxUndelivered(ctx context.Context, limit int) ([]*OutboxMessage, error) {
	return s.queryOutbox(ctx, "undelivered", `SELECT `+outboxColumns+` FROM outbox WHERE state <> $1
		ORDER BY created_at DESC, id LIMIT $2`, OutboxDelivered, limit)
}

// RetryNow makes waiting messages due at once: one by id, or every one when id is "". A
// running outbox picks them up on its next tick. It returns how many it touched.
func (s *Store) RetryNow(ctx context.Context, id string, now time.Time) (int, error) {
	res, err := s.db.Exec(ctx, `UPDATE outbox SET next_attempt=$1 WHERE state=$2 AND ($3 = '' OR id=$3)`, millis(now), OutboxRetry, id)
	if err != nil {
		return 0, fmt.Errorf("store: retry outbox now: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
