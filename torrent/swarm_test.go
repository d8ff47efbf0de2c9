package torrent_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// swarmClient is one real client that downloads from the local seeder.
type swarmClient struct {
	name     string
	start    func(ctx context.Context, t *testing.T) (c torrent.Client, dataDir string, connect func(ctx context.Context, hash string, port int) error)
	asMagnet bool
}

// TestRealDownloadInALocalSwarm downloads a torrent for real from a python3-libtorrent seeder
// on 127.0.0.1 and checks the watcher's events along the way: added, metadata received (the
// qBittorrent run adds a bare magnet link), completed, seeding started — each once.
func TestRealDownloadInALocalSwarm(t *testing.T) {
	t.Parallel()
	stack.RequireSeeder(t)
	clients := []swarmClient{
		{name: "qbittorrent", asMagnet: true, start: func(ctx context.Context, t *testing.T) (torrent.Client, string, func(context.Context, string, int) error) {
			qb, err := stack.StartQBittorrent(ctx, &stack.Tools{QBittorrent: stack.RequireProgram(t, "qbittorrent-nox")}, filepath.Join(t.TempDir(), "qb"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(qb.Stop)
			c, _ := torrent.NewQBittorrent("qbittorrent-swarm", qb.URL, qb.Username, qb.Password)
			return c, qb.DownloadDir, func(ctx context.Context, hash string, port int) error {
				return qb.AddPeers(ctx, hash, "127.0.0.1:"+itoa(port))
			}
		}},
		{name: "deluge", start: func(ctx context.Context, t *testing.T) (torrent.Client, string, func(context.Context, string, int) error) {
			d, err := stack.StartDeluge(ctx, stack.RequireProgram(t, "deluged"), stack.RequireProgram(t, "deluge-web"),
				filepath.Join(t.TempDir(), "deluge"), stack.DelugeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Stop)
			c, _ := torrent.NewDeluge("deluge-swarm", d.URL, d.Password)
			return c, d.DownloadDir, func(ctx context.Context, hash string, port int) error {
				return d.ConnectPeer(ctx, hash, "127.0.0.1", port)
			}
		}},
	}
	for _, sc := range clients {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			seedDir := t.TempDir()
			tf, err := stack.MakeTorrent(seedDir, "swarm.bin", 8<<20)
			if err != nil {
				t.Fatal(err)
			}
			seeder, err := stack.StartSeeder(ctx, tf, seedDir, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(seeder.Stop)

			c, dataDir, connectPeer := sc.start(ctx, t)
			if err = c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			events := newEventLog()
			startWatcher(t, ctx, c, filepath.Join(t.TempDir(), "watch.db"), 100*time.Millisecond, events.handle)

			started := time.Now()
			if sc.asMagnet {
				err = c.AddMagnet(ctx, "magnet:?xt=urn:btih:"+tf.Hash+"&dn=swarm.bin", torrent.AddOptions{SavePath: dataDir})
			} else {
				err = c.AddFile(ctx, "swarm.torrent", tf.Metainfo, torrent.AddOptions{SavePath: dataDir})
			}
			if err != nil {
				t.Fatal(err)
			}
			waitTorrent(ctx, t, c, tf.Hash, "listed", func(*torrent.Torrent) bool { return true })
			if err = connectPeer(ctx, tf.Hash, seeder.Port); err != nil {
				t.Fatal(err)
			}
			events.waitFor(ctx, t, tf.Hash, torrent.EventSeedingStarted)
			took := time.Since(started)
			info, err := os.Stat(filepath.Join(dataDir, "swarm.bin"))
			if err != nil || info.Size() != tf.Size {
				t.Fatalf("downloaded file: %v, %v", info, err)
			}
			awaitPolls(ctx, t, c.Name(), 2)
			kinds := events.kinds(tf.Hash)
			want := []torrent.EventKind{torrent.EventAdded, torrent.EventCompleted, torrent.EventSeedingStarted}
			if sc.asMagnet {
				want = append(want, torrent.EventMetadataReceived)
			}
			for _, k := range want {
				if count(kinds, k) != 1 {
					t.Fatalf("%s seen %d times: %v", k, count(kinds, k), kinds)
				}
			}
			t.Logf("8 MiB downloaded from the local seeder in %v; events %v", took.Round(time.Millisecond), kinds)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
