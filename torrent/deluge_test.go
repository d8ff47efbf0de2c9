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

// TestDelugeAdapter runs the conformance script against a real deluged 2.0.3 behind
// deluge-web, restarting the daemon midway (the Web UI loses it; the adapter reconnects).
func TestDelugeAdapter(t *testing.T) {
	daemon := stack.RequireProgram(t, "deluged")
	web := stack.RequireProgram(t, "deluge-web")
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := stack.StartDeluge(ctx, daemon, web, filepath.Join(t.TempDir(), "deluge"), stack.DelugeOptions{Plugins: []string{"Label"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)

	wrong, _ := torrent.NewDeluge("box", d.URL, "wrong-password")
	if err = wrong.Connect(ctx); !errors.Is(err, torrent.ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	runConformance(t, ctx, adapterUnderTest{
		newClient: func() torrent.Client {
			c, _ := torrent.NewDeluge("deluge", d.URL, d.Password)
			return c
		},
		dataDir: d.DownloadDir, makeTorrent: stack.MakeTorrent, incremental: true, category: true,
		restart: func(ctx context.Context) error { d.StopDaemon(); return d.StartDaemon(ctx) },
	})
}
