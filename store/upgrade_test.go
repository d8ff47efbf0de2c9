package store

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.mau.fi/util/dbutil"
)

// TestUpgradeFromV1 builds a database with the first released schema (testdata/v1), stores a
// request in it, and checks that opening it with the current code upgrades it in place and
// keeps the data.
func TestUpgradeFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	db, _ := dbutil.NewWithDB(raw, "sqlite3")
	v1 := db.Child("seedgate_version", dbutil.BuildUpgradeTable().WithFSPath(os.DirFS("testdata/v1").(fullFS), ".").Finish(), nil)
	if err = v1.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO requests (id, policy, event_kind, action, client, torrent_hash, torrent_name, torrent_size,
		host, match_code, quorum, on_approve, on_deny, on_expiry, state, created_at, expires_at)
		VALUES ('old1', 'p', 'added', 'add', 'box', 'aa', 'n', 1, 'h', 'C', 1, 'resume', 'remove', 'remove', 'pending', 1, 2)`)
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.Close()

	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("upgrading a v1 database: %v", err)
	}
	defer st.Close()
	req, err := st.GetRequest(ctx, "old1")
	if err != nil || req.MinAssurance != "homeserver" {
		t.Fatalf("old request after upgrade: %+v %v", req, err)
	}
	if err = st.InsertChallenge(ctx, &Challenge{RequestID: "old1", KeyID: "k", TokenHash: "h", Blob: "b"}); err != nil {
		t.Fatalf("new table missing after upgrade: %v", err)
	}
	if ok, err := st.SpendChallenge(ctx, "old1", "k", "h", time.Now()); !ok || err != nil {
		t.Fatalf("spend: %v %v", ok, err)
	}
	if ok, _ := st.SpendChallenge(ctx, "old1", "k", "h", time.Now()); ok {
		t.Fatal("a token was spent twice")
	}
}

// fullFS is what dbutil's upgrade tables read migrations from.
type fullFS interface {
	Open(name string) (fs.File, error)
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}
