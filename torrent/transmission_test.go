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

// TestTransmission4 runs the conformance script against a fake of Transmission 4.0's
// documented RPC (Debian has only 3.00), restarting it midway: new session id, new ids.
func TestTransmission4(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fake := stack.StartFakeTransmission4("seedgate", "s3cret")
	t.Cleanup(fake.Close)
	runConformance(t, ctx, adapterUnderTest{
		newClient: func() torrent.Client {
			c, _ := torrent.NewTransmission("transmission4", fake.URL, fake.Username, fake.Password)
			return c
		},
		dataDir: t.TempDir(), makeTorrent: stack.MakeTorrent, incremental: true, tags: true,
		restart: func(context.Context) error { fake.Restart(); return nil },
	})
}
