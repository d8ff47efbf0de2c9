package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"go.mau.fi/util/dbutil"
)

// Holder names a seedgate process: where it runs and since when.
type Holder struct {
	Host  string
	PID   int
	PIDNS string // the PID namespace (Linux: /proc/self/ns/pid), empty when unknown
	Since time.Time
	// Token and Expires are the lease's, as read.
	Token   int64
	Expires time.Time
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d on %s, since %s", h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// ThisProcess describes the running process as a lease holder.
func ThisProcess(now time.Time) Holder {
	host, _ := os.Hostname()
	ns, _ := os.Readlink("/proc/self/ns/pid")
	return Holder{Host: host, PID: os.Getpid(), PIDNS: ns, Since: now}
}

var (
	// ErrLeaseHeld means another seedgate holds the database's lease.
	ErrLeaseHeld = errors.New("another seedgate is active on this database")
	// ErrLeaseLost means this seedgate's lease was taken or ran out: it must stop, writing
	// nothing more.
	ErrLeaseLost = errors.New("this seedgate lost the database's lease")
)

// dbNow is the database's clock in milliseconds: every instance on one database measures the
// lease with the same clock, however far apart the hosts' clocks are.
func (s *Store) dbNow() string {
	if s.db.Dialect == dbutil.Postgres {
		return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

// TakeLease makes this store the database's active seedgate for ttl, if no one holds the
// lease or its holder is gone: its lease ran out, or it was a process on this host (same PID
// namespace) that no longer exists. Otherwise it returns the holder and ErrLeaseHeld. Once
// taken, this store's writes are fenced by the lease's token.
func (s *Store) TakeLease(ctx context.Context, me Holder, ttl time.Duration) (Holder, error) {
	var current Holder
	err := s.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		var now int64
		var err error
		current, now, err = s.readLease(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err = s.db.QueryRow(ctx, "SELECT "+s.dbNow()).Scan(&now); err != nil {
				return err
			}
		case err != nil:
			return err
		case current.Expires.UnixMilli() > now && !goneFromThisHost(current, me):
			return ErrLeaseHeld
		}
		// A compare-and-set on the token read above: two standbys racing for a lapsed lease
		// (PostgreSQL's read-committed lets both read it) cannot both write the same next
		// token; the second finds the row changed and is told it is held.
		token := current.Token + 1
		res, err := s.db.Exec(ctx, `INSERT INTO lease (id, token, host, pid, pid_ns, since, expires) VALUES (1, $1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET token=excluded.token, host=excluded.host, pid=excluded.pid, pid_ns=excluded.pid_ns,
			since=excluded.since, expires=excluded.expires WHERE lease.token=$7`,
			token, me.Host, me.PID, me.PIDNS, me.Since.UnixMilli(), now+ttl.Milliseconds(), current.Token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			current, _, _ = s.readLease(ctx) // the one that won
			return ErrLeaseHeld
		}
		s.leaseToken.Store(token)
		s.leaseRenewed.Store(time.Now().UnixNano())
		s.leaseTTL.Store(int64(ttl))
		return nil
	})
	switch {
	case errors.Is(err, ErrLeaseHeld):
		return current, err
	case err != nil:
		return Holder{}, fmt.Errorf("store: take the lease: %w", err)
	}
	return Holder{}, nil
}

// goneFromThisHost reports whether the holder was a process in this PID namespace that no
// longer runs: a seedgate that crashed here a moment ago, whose lease need not be waited out.
// Our own PID is not taken as gone: in a restarted container every run is PID 1.
func goneFromThisHost(holder, me Holder) bool {
	if me.PIDNS == "" || holder.PIDNS != me.PIDNS || holder.Host != me.Host || holder.PID == me.PID || holder.PID <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(holder.PID, 0), syscall.ESRCH)
}

// RenewLease extends this store's lease by ttl from now. ErrLeaseLost means another seedgate
// took it or it ran out: stop at once.
func (s *Store) RenewLease(ctx context.Context, ttl time.Duration) error {
	token := s.leaseToken.Load()
	if token == 0 {
		return fmt.Errorf("store: renew the lease: %w (never taken)", ErrLeaseLost)
	}
	res, err := s.db.Exec(ctx, "UPDATE lease SET expires="+s.dbNow()+"+$1 WHERE id=1 AND token=$2 AND expires>"+s.dbNow(),
		ttl.Milliseconds(), token)
	if err != nil {
		return fmt.Errorf("store: renew the lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		s.leaseToken.Store(-1) // fence every write from here on
		return fmt.Errorf("store: renew the lease: %w", ErrLeaseLost)
	}
	s.leaseRenewed.Store(time.Now().UnixNano())
	s.leaseTTL.Store(int64(ttl))
	return nil
}

// SinceLeaseRenewal is how long ago this store took or last renewed its lease.
func (s *Store) SinceLeaseRenewal() time.Duration {
	return time.Since(time.Unix(0, s.leaseRenewed.Load()))
}

// CheckLease says, without asking the database, whether this store may still hold its lease:
// it took one and renewed it less than its time ago. A process resumed after being frozen past
// its lease learns here, before its next send, that another seedgate may be active. A store
// that never took a lease (the commands) passes.
func (s *Store) CheckLease() error {
	switch token := s.leaseToken.Load(); {
	case token == 0:
		return nil
	case token < 0:
		return ErrLeaseLost
	}
	// time.Now keeps a monotonic reading, but a UnixNano round trip does not: compare wall
	// clocks, which a freeze moves as much.
	if since := s.SinceLeaseRenewal(); since >= time.Duration(s.leaseTTL.Load()) {
		return fmt.Errorf("%w: last renewed %s ago", ErrLeaseLost, since.Round(time.Millisecond))
	}
	return nil
}

// ReleaseLease gives the lease up at a clean stop, so a standby takes over at once instead of
// waiting it out. Fenced: a lost lease is not released.
func (s *Store) ReleaseLease(ctx context.Context) error {
	token := s.leaseToken.Load()
	if token <= 0 {
		return nil
	}
	if _, err := s.db.Exec(ctx, "UPDATE lease SET expires=0 WHERE id=1 AND token=$1", token); err != nil {
		return fmt.Errorf("store: release the lease: %w", err)
	}
	s.leaseToken.Store(-1)
	return nil
}

// LeaseHolder reads who holds the lease (for doctor) and whether it is current; ErrNotFound
// when no seedgate ever did.
func (s *Store) LeaseHolder(ctx context.Context) (Holder, bool, error) {
	h, now, err := s.readLease(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Holder{}, false, ErrNotFound
	} else if err != nil {
		return Holder{}, false, fmt.Errorf("store: read the lease: %w", err)
	}
	return h, h.Expires.UnixMilli() > now, nil
}

// readLease reads the lease row and the database's clock (sql.ErrNoRows: no lease yet).
func (s *Store) readLease(ctx context.Context) (Holder, int64, error) {
	var h Holder
	var since, expires, now int64
	err := s.db.QueryRow(ctx, "SELECT token, host, pid, pid_ns, since, expires, "+s.dbNow()+" FROM lease WHERE id=1").
		Scan(&h.Token, &h.Host, &h.PID, &h.PIDNS, &since, &expires, &now)
	h.Since, h.Expires = time.UnixMilli(since), time.UnixMilli(expires)
	return h, now, err
}

// fenced runs write in a transaction that first checks this store still holds the lease it
// took, so a seedgate that lost it (frozen past its expiry while a standby took over) changes
// nothing. A store that never took a lease (the read-mostly commands) is not fenced. On
// PostgreSQL the lease row is read FOR SHARE, so a takeover waits for the write to finish.
func (s *Store) fenced(ctx context.Context, what string, write func(ctx context.Context) error) error {
	token := s.leaseToken.Load()
	if token == 0 {
		return write(ctx)
	}
	return s.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		query := "SELECT token FROM lease WHERE id=1"
		if s.db.Dialect == dbutil.Postgres {
			query += " FOR SHARE"
		}
		var current int64
		if err := s.db.QueryRow(ctx, query).Scan(&current); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %s: check the lease: %w", what, err)
		}
		if current != token {
			return fmt.Errorf("store: %s: %w", what, ErrLeaseLost)
		}
		return write(ctx)
	})
}

// ErrUpgradeUnderActive means this release would upgrade the schema of a database another
// seedgate is active on, which would change the tables under it.
var ErrUpgradeUnderActive = errors.New("not upgrading the database under an active seedgate")

// refuseUpgradeUnderActive stops a newer release (a standby, a second instance in a rolling
// update) from upgrading the schema while an older seedgate holds the lease. Before the lease
// table existed there is no telling, and a new database has nothing to protect.
func (s *Store) refuseUpgradeUnderActive(ctx context.Context) error {
	var version int
	if err := s.db.QueryRow(ctx, "SELECT version FROM seedgate_version LIMIT 1").Scan(&version); err != nil {
		return nil // no version table yet: a new database
	}
	if version >= len(upgradeTable) {
		return nil
	}
	if exists, err := s.db.TableExists(ctx, "lease"); err != nil || !exists {
		return nil
	}
	holder, current, err := s.LeaseHolder(ctx)
	if err != nil || !current || goneFromThisHost(holder, ThisProcess(time.Now())) {
		return nil
	}
	return fmt.Errorf("%w (%s): the schema is v%d and this release needs v%d; stop it, then start this release",
		ErrUpgradeUnderActive, holder, version, len(upgradeTable))
}
