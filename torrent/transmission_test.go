package torrent_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// TestTransmissionAdapter runs the conformance script against a real transmission-daemon 3.00,
// restarting it midway (its ids are renumbered; the adapter addresses torrents by hash).
func TestTransmissionAdapter(t *testing.T) {
	program := stack.RequireProgram(t, "transmission-daemon")
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tr, err := stack.StartTransmission(ctx, program, filepath.Join(t.TempDir(), "tr"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Stop)

	wrong, _ := torrent.NewTransmission("box", tr.URL, tr.Username, "wrong-password")
	if err = wrong.Connect(ctx); !errors.Is(err, torrent.ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	runConformance(t, ctx, adapterUnderTest{
		newClient: func() torrent.Client {
			c, _ := torrent.NewTransmission("transmission", tr.URL, tr.Username, tr.Password)
			return c
		},
		dataDir: tr.DownloadDir, makeTorrent: stack.MakeTorrent, incremental: true, tags: true,
		restart: func(ctx context.Context) error { tr.Stop(); return tr.Start(ctx) },
	})
}
