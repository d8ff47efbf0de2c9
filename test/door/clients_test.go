package door

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// clientUnderTest is one real client, started with its owner's defaults: every one of them
// starts what is added to it (the door open), which seedgate must close itself.
type clientUnderTest struct {
	name  string
	start func(ctx context.Context, t *testing.T, dir string) torrent.Client
	// magnets says a magnet can fetch its metadata from the local seeder: not Transmission,
	// which never dials a 127.x peer a tracker hands it.
	magnets bool
}

func clientsUnderTest() []clientUnderTest {
	return []clientUnderTest{
		{name: "qbittorrent", magnets: true, start: func(ctx context.Context, t *testing.T, dir string) torrent.Client {
			qb, err := stack.StartQBittorrent(ctx, &stack.Tools{QBittorrent: stack.RequireProgram(t, "qbittorrent-nox")}, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(qb.Stop)
			c, _ := torrent.NewQBittorrent("qbittorrent", qb.URL, qb.Username, qb.Password)
			return c
		}},
		{name: "transmission", start: func(ctx context.Context, t *testing.T, dir string) torrent.Client {
			tr, err := stack.StartTransmission(ctx, stack.RequireProgram(t, "transmission-daemon"), dir,
				map[string]any{"start-added-torrents": true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tr.Stop)
			c, _ := torrent.NewTransmission("transmission", tr.URL, tr.Username, tr.Password)
			return c
		}},
		{name: "rtorrent", magnets: true, start: func(ctx context.Context, t *testing.T, dir string) torrent.Client {
			rt, err := stack.StartRTorrent(ctx, stack.RequireProgram(t, "rtorrent"), dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(rt.Stop)
			c, _ := torrent.NewRTorrent("rtorrent", rt.URL, "", "")
			return c
		}},
		{name: "deluge", magnets: true, start: func(ctx context.Context, t *testing.T, dir string) torrent.Client {
			d, err := stack.StartDeluge(ctx, stack.RequireProgram(t, "deluged"), stack.RequireProgram(t, "deluge-web"),
				filepath.Join(dir), stack.DelugeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Stop)
			c, _ := torrent.NewDeluge("deluge", d.URL, d.Password)
			return c
		}},
	}
}
