package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestApprovalOnPostgres runs an approval with seedgate's state, mautrix's crypto store
// included, in a real PostgreSQL, across a restart of seedgate.
func TestApprovalOnPostgres(t *testing.T) {
	tools := stack.RequireTools(t)
	if _, err := stack.FindPostgres(); err != nil {
		t.Fatalf("PostgreSQL: %v", err) // installed by make deps with everything else
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := stack.Up(ctx, tools, stack.Options{Dir: tempDir(t), Approvers: []string{"alice"}, Postgres: true})
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(s.Down)
	alice := s.Clients["alice"]
	tf, card := addHeld(ctx, t, s, alice, "on-postgres.bin")
	s.Seedgate.Stop()
	if err = s.Seedgate.Start(ctx); err != nil { // same bot device and keys, from PostgreSQL
		t.Fatal(err)
	}
	if _, err = alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	waitCardState(ctx, t, alice, card.EventID, "done")
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	auditIntact(ctx, t, s)
}
