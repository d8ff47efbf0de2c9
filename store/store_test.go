package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReopenKeepsDataAndSchema(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store, reopen func() *Store) {
		ctx := context.Background()
		if err := st.SetKV(ctx, "k", "v1"); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		again := reopen()
		if v, _ := again.GetKV(ctx, "k"); v != "v1" {
			t.Fatalf("kv after reopen = %q", v)
		}
	})
}

func TestTransitionIsCompareAndSet(t *testing.T) {
	eachBackend(t, testTransition)
}

func testTransition(t *testing.T, st *Store, _ func() *Store) {
	ctx := context.Background()
	req := &Request{ID: "r1", State: "pending", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Minute)}
	if err := st.InsertRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	ok, err := st.TransitionRequest(ctx, "r1", Transition{From: []RequestState{"pending"}, To: "approved", DecidedBy: "alice"})
	if err != nil || !ok {
		t.Fatalf("first transition: %v %v", ok, err)
	}
	ok, err = st.TransitionRequest(ctx, "r1", Transition{From: []RequestState{"pending"}, To: "denied"})
	if err != nil || ok {
		t.Fatalf("second transition from pending must lose: ok=%v err=%v", ok, err)
	}
	got, err := st.GetRequest(ctx, "r1")
	if err != nil || got.State != "approved" || got.DecidedBy != "alice" {
		t.Fatalf("request after transitions: %+v %v", got, err)
	}
	if _, err = st.GetRequest(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing request: %v", err)
	}
}

func TestAuditDetectsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper string
	}{
		{"edit", "UPDATE audit SET data='{\"by\":\"mallory\"}' WHERE seq=2"},
		{"delete", "DELETE FROM audit WHERE seq=2"},
		{"reorder", "UPDATE audit SET seq=-2 WHERE seq=2;UPDATE audit SET seq=2 WHERE seq=3;UPDATE audit SET seq=3 WHERE seq=-2"},
		{"truncate head rewrite", "UPDATE audit SET prev_hash='00' WHERE seq=3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st *Store, _ func() *Store) {
				tamper(t, st, tc.tamper)
			})
		})
	}
}

// tamper writes a short chain, checks it, changes it behind the store's back, and checks that
// verification notices.
func tamper(t *testing.T, st *Store, statements string) {
	ctx := context.Background()
	for i, kind := range []string{"request_opened", "vote_counted", "request_approved", "action_done"} {
		if err := st.AppendAudit(ctx, kind, "r1", map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.VerifyAudit(ctx); err != nil || n != 4 {
		t.Fatalf("untouched chain: n=%d err=%v", n, err)
	}
	for _, stmt := range strings.Split(statements, ";") {
		if _, err := st.db.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.VerifyAudit(ctx); !errors.Is(err, ErrAuditChainBroken) {
		t.Fatalf("tampering (%s) not detected: %v", statements, err)
	}
}

func TestVotesKeepArrivalOrder(t *testing.T) {
	eachBackend(t, testVoteOrder)
}

func testVoteOrder(t *testing.T, st *Store, _ func() *Store) {
	ctx := context.Background()
	if err := st.InsertRequest(ctx, &Request{ID: "r1", State: "pending"}); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for _, d := range []Decision{DecisionApprove, DecisionDeny, DecisionApprove} {
		if err := st.InsertVote(ctx, &Vote{RequestID: "r1", Person: "alice", Decision: d, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	votes, err := st.ListVotes(ctx, "r1")
	if err != nil || len(votes) != 3 || votes[1].Decision != "deny" || votes[2].Decision != "approve" {
		t.Fatalf("votes out of order: %v %v", votes, err)
	}
}

// The database holds the bot's encryption keys and the audit log: only its owner may read it.
func TestSQLiteFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err = st.SetKV(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %04o", filepath.Base(f), perm)
		}
	}
	if _, err = OpenExisting(context.Background(), "sqlite", filepath.Join(t.TempDir(), "none.db")); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("OpenExisting on a missing file: %v", err)
	}
}
