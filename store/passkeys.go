package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
)

// Passkey is one person's WebAuthn credential. Credential is the verifier's record of it
// (public key, flags, AAGUID, attestation) as JSON; SignCount is the counter as last advanced.
type Passkey struct {
	CredentialID string
	Person       string
	Credential   string
	SignCount    int64
	AAGUID       string
	Attestation  string
	State        PasskeyState
	ConfirmCode  string
	EnrolledAt   time.Time
	ConfirmedBy  string
	RevokedBy    string
	ChangedAt    time.Time
}

const passkeyColumns = "credential_id, person, credential, sign_count, aaguid, attestation, state, confirm_code, enrolled_at, confirmed_by, revoked_by, changed_at"

// Scan reads one row of passkeyColumns.
func (*Passkey) Scan(row dbutil.Scannable) (*Passkey, error) {
	var p Passkey
	var enrolled, changed int64
	if err := row.Scan(&p.CredentialID, &p.Person, &p.Credential, &p.SignCount, &p.AAGUID, &p.Attestation, &p.State,
		&p.ConfirmCode, &enrolled, &p.ConfirmedBy, &p.RevokedBy, &changed); err != nil {
		return nil, err
	}
	p.EnrolledAt, p.ChangedAt = fromMillis(enrolled), fromMillis(changed)
	return &p, nil
}

// PasskeyEnrolment is a one-time enrolment link, by the hash of its token.
type PasskeyEnrolment struct {
	TokenHash string
	Person    string
	IssuedBy  string
	ExpiresAt time.Time
	Session   string // the registration ceremony's state, once its first call was made
	UsedAt    time.Time
}

const enrolmentColumns = "token_hash, person, issued_by, expires_at, session, used_at"

// Scan reads one row of enrolmentColumns.
func (*PasskeyEnrolment) Scan(row dbutil.Scannable) (*PasskeyEnrolment, error) {
	var e PasskeyEnrolment
	var expires, used int64
	if err := row.Scan(&e.TokenHash, &e.Person, &e.IssuedBy, &expires, &e.Session, &used); err != nil {
		return nil, err
	}
	e.ExpiresAt, e.UsedAt = fromMillis(expires), fromMillis(used)
	return &e, nil
}

// InsertPasskeyEnrolment records a new enrolment link, with its audit entry.
func (s *Store) InsertPasskeyEnrolment(ctx context.Context, e *PasskeyEnrolment) error {
	return s.Txn(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO passkey_enrolments (token_hash, person, issued_by, expires_at) VALUES ($1, $2, $3, $4)`,
			e.TokenHash, e.Person, e.IssuedBy, millis(e.ExpiresAt)); err != nil {
			return fmt.Errorf("store: insert passkey enrolment for %s: %w", e.Person, err)
		}
		return s.AppendAudit(ctx, "passkey_link_issued", "", map[string]string{"person": e.Person, "by": e.IssuedBy})
	})
}

// GetPasskeyEnrolment returns an enrolment link by its token's hash, or ErrNotFound.
func (s *Store) GetPasskeyEnrolment(ctx context.Context, tokenHash string) (*PasskeyEnrolment, error) {
	return queryOne[*PasskeyEnrolment](ctx, s.db, "passkey enrolment", "SELECT "+enrolmentColumns+" FROM passkey_enrolments WHERE token_hash=$1", tokenHash)
}

// SetPasskeyEnrolmentSession keeps the registration ceremony's state on a link still unused
// and unexpired, and reports whether it was.
func (s *Store) SetPasskeyEnrolmentSession(ctx context.Context, tokenHash, session string, now time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE passkey_enrolments SET session=$2 WHERE token_hash=$1 AND used_at=0 AND expires_at>$3`,
		tokenHash, session, millis(now))
	if err != nil {
		return false, fmt.Errorf("store: keep passkey enrolment session: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FinishPasskeyEnrolment spends the link and records its passkey as pending, with the audit
// entry, in one transaction. Of two callers with the same link exactly one gets true; a
// credential already known is refused, so nobody re-enrols another person's authenticator.
func (s *Store) FinishPasskeyEnrolment(ctx context.Context, tokenHash string, p *Passkey, now time.Time) (bool, error) {
	done := false
	err := s.Txn(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE passkey_enrolments SET used_at=$2 WHERE token_hash=$1 AND used_at=0 AND expires_at>$2 AND person=$3`,
			tokenHash, millis(now), p.Person)
		if err != nil {
			return fmt.Errorf("store: spend passkey enrolment: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		res, err = s.db.Exec(ctx, `INSERT INTO passkeys (credential_id, person, credential, sign_count, aaguid, attestation, state, confirm_code, enrolled_at, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (credential_id) DO NOTHING`,
			p.CredentialID, p.Person, p.Credential, p.SignCount, p.AAGUID, p.Attestation, PasskeyPending, p.ConfirmCode, millis(now))
		if err != nil {
			return fmt.Errorf("store: insert passkey for %s: %w", p.Person, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("store: passkey %s is already enrolled", p.CredentialID)
		}
		done = true
		return s.AppendAudit(ctx, "passkey_registered", "", map[string]string{
			"person": p.Person, "credential_id": p.CredentialID, "aaguid": p.AAGUID, "attestation": p.Attestation})
	})
	return done, err
}

// ConfirmPasskey makes a person's pending passkey with that code, registered after
// registeredAfter, active, with the audit entry, and returns it; nil when there is none.
func (s *Store) ConfirmPasskey(ctx context.Context, person, code, by string, now, registeredAfter time.Time) (*Passkey, error) {
	var confirmed *Passkey
	err := s.Txn(ctx, func(ctx context.Context) error {
		p, err := queryOne[*Passkey](ctx, s.db, "passkey", "SELECT "+passkeyColumns+" FROM passkeys WHERE person=$1 AND state=$2 AND confirm_code=$3 AND enrolled_at>$4",
			person, PasskeyPending, code, millis(registeredAfter))
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err = s.db.Exec(ctx, `UPDATE passkeys SET state=$2, confirmed_by=$3, changed_at=$4 WHERE credential_id=$1`,
			p.CredentialID, PasskeyActive, by, millis(now)); err != nil {
			return fmt.Errorf("store: confirm passkey: %w", err)
		}
		p.State, p.ConfirmedBy = PasskeyActive, by
		confirmed = p
		return s.AppendAudit(ctx, "passkey_confirmed", "", map[string]string{"person": person, "credential_id": p.CredentialID, "by": by})
	})
	return confirmed, err
}

// RevokePasskey revokes a person's passkey (pending or active), with the audit entry, and
// reports whether there was one to revoke.
func (s *Store) RevokePasskey(ctx context.Context, person, credentialID, by string, now time.Time) (bool, error) {
	done := false
	err := s.Txn(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE passkeys SET state=$3, revoked_by=$4, changed_at=$5 WHERE credential_id=$1 AND person=$2 AND state<>$3`,
			credentialID, person, PasskeyRevoked, by, millis(now))
		if err != nil {
			return fmt.Errorf("store: revoke passkey: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		done = true
		return s.AppendAudit(ctx, "passkey_revoked", "", map[string]string{"person": person, "credential_id": credentialID, "by": by})
	})
	return done, err
}

// ListPasskeys returns a person's passkeys, every state, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, person string) ([]*Passkey, error) {
	out, err := queryMany[*Passkey](ctx, s.db, "SELECT "+passkeyColumns+" FROM passkeys WHERE person=$1 ORDER BY enrolled_at, credential_id", person)
	if err != nil {
		return nil, fmt.Errorf("store: list passkeys of %s: %w", person, err)
	}
	return out, nil
}

// GetPasskey returns a passkey by its credential id, or ErrNotFound.
func (s *Store) GetPasskey(ctx context.Context, credentialID string) (*Passkey, error) {
	return queryOne[*Passkey](ctx, s.db, "passkey", "SELECT "+passkeyColumns+" FROM passkeys WHERE credential_id=$1", credentialID)
}

// AdvancePasskeyCount moves an active passkey's sign count from old to next and reports
// whether it did: a second assertion that read the same count loses.
func (s *Store) AdvancePasskeyCount(ctx context.Context, credentialID string, old, next int64) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE passkeys SET sign_count=$3 WHERE credential_id=$1 AND sign_count=$2 AND state=$4`,
		credentialID, old, next, PasskeyActive)
	if err != nil {
		return false, fmt.Errorf("store: advance passkey sign count: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PasskeyNonce is the nonce one approval assertion signs.
type PasskeyNonce struct {
	NonceHash string
	RequestID string
	Person    string // "" when the link names no one
	Outcome   string // approve, deny, or reveal (show a courier link's request; no vote)
	ExpiresAt time.Time
	UsedAt    time.Time
}

const nonceColumns = "nonce_hash, request_id, person, outcome, expires_at, used_at"

// Scan reads one row of nonceColumns.
func (*PasskeyNonce) Scan(row dbutil.Scannable) (*PasskeyNonce, error) {
	var n PasskeyNonce
	var expires, used int64
	if err := row.Scan(&n.NonceHash, &n.RequestID, &n.Person, &n.Outcome, &expires, &used); err != nil {
		return nil, err
	}
	n.ExpiresAt, n.UsedAt = fromMillis(expires), fromMillis(used)
	return &n, nil
}

// spentNonceKeep is how long a nonce's row outlives its expiry: an answer that old is refused
// as a nonce never given out instead of as one already used.
const spentNonceKeep = 24 * time.Hour

// InsertPasskeyNonce records a nonce handed to a browser, and forgets those long expired.
func (s *Store) InsertPasskeyNonce(ctx context.Context, n *PasskeyNonce, now time.Time) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM passkey_nonces WHERE expires_at < $1`, millis(now.Add(-spentNonceKeep))); err != nil {
		return fmt.Errorf("store: forget old passkey nonces: %w", err)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO passkey_nonces (nonce_hash, request_id, person, outcome, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		n.NonceHash, n.RequestID, n.Person, n.Outcome, millis(n.ExpiresAt)); err != nil {
		return fmt.Errorf("store: insert passkey nonce for %s: %w", n.RequestID, err)
	}
	return nil
}

// GetPasskeyNonce returns a nonce by its hash, or ErrNotFound.
func (s *Store) GetPasskeyNonce(ctx context.Context, nonceHash string) (*PasskeyNonce, error) {
	return queryOne[*PasskeyNonce](ctx, s.db, "passkey nonce", "SELECT "+nonceColumns+" FROM passkey_nonces WHERE nonce_hash=$1", nonceHash)
}

// SpendPasskeyNonce marks a request's nonce used and reports whether this call did it: of two
// callers with the same nonce, exactly one gets true; an expired nonce is never spent.
func (s *Store) SpendPasskeyNonce(ctx context.Context, nonceHash, requestID string, now time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE passkey_nonces SET used_at=$3 WHERE nonce_hash=$1 AND request_id=$2 AND used_at=0 AND expires_at>$3`,
		nonceHash, requestID, millis(now))
	if err != nil {
		return false, fmt.Errorf("store: spend passkey nonce: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountOpenPasskeyNonces counts a request's nonces neither used nor expired.
func (s *Store) CountOpenPasskeyNonces(ctx context.Context, requestID string, now time.Time) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM passkey_nonces WHERE request_id=$1 AND used_at=0 AND expires_at>$2`,
		requestID, millis(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count passkey nonces of %s: %w", requestID, err)
	}
	return n, nil
}

// SpendPasskeyReveal spends a reveal nonce and advances the passkey's sign count in one
// transaction, with the audit entry; it reports whether both moved (of two callers, one does).
func (s *Store) SpendPasskeyReveal(ctx context.Context, n *PasskeyNonce, credentialID string, old, next int64, now time.Time) (bool, error) {
	done := false
	err := s.Txn(ctx, func(ctx context.Context) error {
		ok, err := s.SpendPasskeyNonce(ctx, n.NonceHash, n.RequestID, now)
		if err != nil || !ok {
			return err
		}
		if ok, err = s.AdvancePasskeyCount(ctx, credentialID, old, next); err != nil || !ok {
			return err
		}
		done = true
		return s.AppendAudit(ctx, "request_revealed", n.RequestID, map[string]string{"person": n.Person, "credential_id": credentialID})
	})
	return done, err
}
