package torrent_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// TestRTorrentAdapter runs the conformance script against a real rtorrent 0.9.8 over SCGI on a
// unix socket, restarting it midway (its session keeps the torrents).
func TestRTorrentAdapter(t *testing.T) {
	t.Parallel()
	program := stack.RequireProgram(t, "rtorrent")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt, err := stack.StartRTorrent(ctx, program, filepath.Join(t.TempDir(), "rt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	runConformance(t, ctx, adapterUnderTest{
		newClient: func() torrent.Client {
			c, err := torrent.NewRTorrent("rtorrent", rt.URL, "", "")
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		dataDir: rt.DownloadDir, incremental: true, category: true,
		makeTorrent: func(dir, name string, size int) (*stack.TorrentFile, error) {
			// rTorrent refuses torrents without a tracker; this one is never reached.
			return stack.MakeTorrentAnnounce(dir, name, size, "http://127.0.0.1:9/announce")
		},
		restart: func(ctx context.Context) error { rt.Stop(); return rt.Start(ctx) },
	})
}
