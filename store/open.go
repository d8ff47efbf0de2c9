package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"

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
// schema. mautrix's stores upgrade their own tables when the bot starts.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	raw, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err = raw.PingContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db, err := dbutil.NewWithDB(raw, "sqlite3")
	if err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: wrap %s: %w", path, err)
	}
	log := zerolog.Ctx(ctx).With().Str("component", "store").Logger()
	db.Log = dbutil.ZeroLogger(log)
	s := &Store{DB: db, db: db.Child("seedgate_version", upgradeTable, dbutil.ZeroLogger(log))}
	if err = s.db.Upgrade(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("store: upgrade schema of %s: %w", path, err)
	}
	return s, nil
}

// Close closes the underlying database.
func (s *Store) Close() error {
	return s.DB.Close()
}
