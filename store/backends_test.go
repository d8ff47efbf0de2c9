package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/seedgate/seedgate/test/stack"
)

// pg is the PostgreSQL server the store tests share, started by TestMain.
var pg *stack.Postgres

func TestMain(m *testing.M) {
	dir, _ := os.MkdirTemp("", "sg-pg-")
	var err error
	pg, err = stack.StartPostgres(context.Background(), dir)
	if err != nil {
		pgErr = err
	}
	code := m.Run()
	if pg != nil {
		pg.Stop()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var pgErr error

// backend names a store backend and opens a fresh store on it; reopen opens the same one again.
type backend struct {
	name string
	open func(t *testing.T) (st *Store, reopen func() *Store)
}

// backends returns SQLite and PostgreSQL: every store test runs against both. PostgreSQL missing
// fails the test in CI and skips its half elsewhere.
func backends(t *testing.T) []backend {
	sqlite := backend{"sqlite", func(t *testing.T) (*Store, func() *Store) {
		path := filepath.Join(t.TempDir(), "test.db")
		return mustOpen(t, "sqlite", path), func() *Store { return mustOpen(t, "sqlite", path) }
	}}
	postgres := backend{"postgres", func(t *testing.T) (*Store, func() *Store) {
		if pg == nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("PostgreSQL unavailable in CI: %v", pgErr)
			}
			t.Skipf("PostgreSQL unavailable (outside CI, so skipping): %v", pgErr)
		}
		uri, err := pg.NewDatabase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return mustOpen(t, "postgres", uri), func() *Store { return mustOpen(t, "postgres", uri) }
	}}
	return []backend{sqlite, postgres}
}

func mustOpen(t *testing.T, kind, target string) *Store {
	t.Helper()
	st, err := Open(context.Background(), kind, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// eachBackend runs a test body against every backend.
func eachBackend(t *testing.T, body func(t *testing.T, st *Store, reopen func() *Store)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			st, reopen := b.open(t)
			body(t, st, reopen)
		})
	}
}
