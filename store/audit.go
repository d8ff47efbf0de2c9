package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AuditEntry is one line of the hash-chained audit log.
type AuditEntry struct {
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	Kind      string          `json:"kind"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
}

// ErrAuditChainBroken is returned by VerifyAudit when an entry was edited, deleted or reordered.
var ErrAuditChainBroken = errors.New("audit chain broken")

// auditHash binds an entry to everything before it: changing, removing or moving any entry
// changes every hash after it.
func auditHash(e *AuditEntry) string {
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "seedgate-audit-v1\x00%d\x00%d\x00%s\x00%s\x00%s\x00", e.Seq, e.At.UnixMilli(), e.Kind, e.RequestID, e.PrevHash)
	h.Write(e.Data)
	return hex.EncodeToString(h.Sum(nil))
}

// AppendAudit adds an entry to the audit log. Call it inside the transaction that makes the
// change it records, so the log and the state cannot disagree.
// It is fenced by the lease (see fenced).
func (s *Store) AppendAudit(ctx context.Context, kind, requestID string, data any) error {
	return s.fenced(ctx, "audit "+kind, func(ctx context.Context) error { return s.appendAudit(ctx, kind, requestID, data) })
}

func (s *Store) appendAudit(ctx context.Context, kind, requestID string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: audit %s: encode: %w", kind, err)
	}
	e := &AuditEntry{At: time.UnixMilli(time.Now().UnixMilli()), Kind: kind, RequestID: requestID, Data: raw}
	err = s.db.QueryRow(ctx, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").Scan(&e.Seq, &e.PrevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: audit %s: read chain head: %w", kind, err)
	}
	e.Seq++
	e.Hash = auditHash(e)
	_, err = s.db.Exec(ctx, `INSERT INTO audit (seq, at, kind, request_id, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.Seq, e.At.UnixMilli(), e.Kind, e.RequestID, string(e.Data), e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", kind, err)
	}
	return nil
}

// EachAudit calls fn for every audit entry in order.
func (s *Store) EachAudit(ctx context.Context, fn func(*AuditEntry) error) error {
	rows, err := s.db.Query(ctx, "SELECT seq, at, kind, request_id, data, prev_hash, hash FROM audit ORDER BY seq")
	if err != nil {
		return fmt.Errorf("store: read audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		var data string
		if err = rows.Scan(&e.Seq, &at, &e.Kind, &e.RequestID, &data, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("store: read audit: %w", err)
		}
		e.At, e.Data = time.UnixMilli(at), json.RawMessage(data)
		if err = fn(&e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// VerifyAudit walks the chain and returns the number of entries, or an error wrapping
// ErrAuditChainBroken that names the first entry that does not fit.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	var prevHash string
	var expectSeq int64 = 1
	var n int64
	err := s.EachAudit(ctx, func(e *AuditEntry) error {
		switch {
		case e.Seq != expectSeq:
			return fmt.Errorf("%w: expected entry %d, found %d (deleted or reordered)", ErrAuditChainBroken, expectSeq, e.Seq)
		case e.PrevHash != prevHash:
			return fmt.Errorf("%w: entry %d does not follow entry %d", ErrAuditChainBroken, e.Seq, e.Seq-1)
		case auditHash(e) != e.Hash:
			return fmt.Errorf("%w: entry %d was altered", ErrAuditChainBroken, e.Seq)
		}
		prevHash, expectSeq, n = e.Hash, expectSeq+1, n+1
		return nil
	})
	return n, err
}
