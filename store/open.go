package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the pure-Go "pgx" PostgreSQL driver
	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

//go:embed upgrades/*.sql
var upgrades embed.FS

var upgradeTable = dbutil.BuildUpgradeTable().WithFSPath(upgrades, "upgrades").Finish()

// Store is seedgate's database. DB is the wrapped connection shared with mautrix's stores.
type Store struct {
	DB *dbutil.Database
	db *dbutil.Database // seedgate's own tables, under the seedgate_version table
	// leaseToken is the lease this store took (TakeLease): 0 never taken (not fenced), -1
	// lost or released (every fenced write refused).
	leaseToken atomic.Int64
	// leaseRenewed (unix nanoseconds) and leaseTTL say until when the lease surely holds.
	leaseRenewed, leaseTTL atomic.Int64
}

// sqliteDSN asks for WAL, foreign keys, a busy timeout and immediate write transactions: the
// settings that keep concurrent writers (the watcher, the bot, the expiry loop) from failing with
// SQLITE_BUSY and keep a crash from leaving a half-written transaction behind.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	return "file:" + path + "?" + q.Encode()
}

// OpenSQLite opens (creating if needed) the SQLite database at path and upgrades seedgate's
// schema. mautrix's stores upgrade their own tables when the bot starts. A new database file is
// created 0600 (SQLite gives its -wal and -shm files the same mode): it holds the bot's
// encryption keys, sealed sessions and the audit log.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_ = f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	raw, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err = raw.PingContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return wrap(ctx, raw, "sqlite3", path)
}

// wrap puts dbutil around a connection and upgrades seedgate's tables; only then may anything
// use the store.
func wrap(ctx context.Context, raw *sql.DB, dialect, name string) (*Store, error) {
	db, err := dbutil.NewWithDB(raw, dialect)
	if err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: wrap %s: %w", name, err)
	}
	log := zerolog.Ctx(ctx).With().Str("component", "store").Logger()
	db.Log = dbutil.ZeroLogger(log)
	s := &Store{DB: db, db: db.Child("seedgate_version", upgradeTable, dbutil.ZeroLogger(log))}
	if err = s.refuseUpgradeUnderActive(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	if err = s.db.Upgrade(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: upgrade schema of %s: %w", name, err)
	}
	return s, nil
}

// OpenPostgres connects to PostgreSQL at uri (postgres://user:pass@host/db?sslmode=...) and
// upgrades seedgate's schema. The same migrations serve both backends.
func OpenPostgres(ctx context.Context, uri string) (*Store, error) {
	raw, err := sql.Open("pgx", uri)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	if err = raw.PingContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", redactURI(err, uri))
	}
	return wrap(ctx, raw, "postgres", "postgres")
}

// Open opens the configured backend: "sqlite" (target a file path) or "postgres" (a URI).
func Open(ctx context.Context, backend, target string) (*Store, error) {
	switch backend {
	case "", "sqlite":
		return OpenSQLite(ctx, target)
	case "postgres":
		return OpenPostgres(ctx, target)
	}
	return nil, fmt.Errorf("store: unknown backend %q", backend)
}

// ErrNoDatabase says a command that only reads found no database: seedgate has not run with
// this configuration yet.
var ErrNoDatabase = errors.New("no database yet: seedgate creates it on its first start")

// OpenExisting is Open for commands that only read (audit, keys, trust, outbox): it never
// creates a database, so running one with a wrong config path leaves nothing behind.
func OpenExisting(ctx context.Context, backend, target string) (*Store, error) {
	if backend == "" || backend == "sqlite" {
		if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: %s: %w", target, ErrNoDatabase)
		}
	}
	return Open(ctx, backend, target)
}

// redactURI keeps a connection URI (and the password in it) out of an error message.
func redactURI(err error, uri string) error {
	if u, perr := url.Parse(uri); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
			return errors.New(strings.ReplaceAll(err.Error(), pw, "[redacted]"))
		}
	}
	return err
}

// Close closes the underlying database.
func (s *Store) Close() error {
	return s.DB.Close()
}
