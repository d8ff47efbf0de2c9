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

// TestQBittorrentAdapter runs the conformance script against a real qbittorrent-nox 4.5.2,
// restarting it midway.
func TestQBittorrentAdapter(t *testing.T) {
	tools := stack.RequireTools(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	qb, err := stack.StartQBittorrent(ctx, tools, filepath.Join(t.TempDir(), "qb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(qb.Stop)

	wrong, _ := torrent.NewQBittorrent("box", qb.URL, qb.Username, "wrong-password")
	if err = wrong.Connect(ctx); !errors.Is(err, torrent.ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	runConformance(t, ctx, adapterUnderTest{
		newClient: func() torrent.Client {
			c, _ := torrent.NewQBittorrent("qbittorrent", qb.URL, qb.Username, qb.Password)
			return c
		},
		dataDir: qb.DownloadDir, makeTorrent: stack.MakeTorrent, incremental: true, tags: true, category: true,
		restart: func(ctx context.Context) error { qb.Stop(); return qb.Start(ctx) },
	})
}
