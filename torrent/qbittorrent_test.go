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

// TestQBittorrent5Dialect runs the conformance script against a fake of qBittorrent 5.1's
// documented API (Debian has only 4.5): stop/start instead of pause/resume, "stopped" on add,
// 5.2's 204/401 login and cookie name, and "Bearer qbt_" API keys.
func TestQBittorrent5Dialect(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fake := stack.StartFakeQBittorrent5("s3cret-pass", "qbt_0123456789abcdef")
	t.Cleanup(fake.Close)
	dataDir := t.TempDir()

	wrong, _ := torrent.NewQBittorrent("box", fake.URL, "admin", "wrong")
	if err := wrong.Connect(ctx); !errors.Is(err, torrent.ErrAuth) {
		t.Fatalf("5.2 login with a wrong password (401): %v, want ErrAuth", err)
	}
	badKey, _ := torrent.New(torrent.Settings{Type: "qbittorrent", Name: "box", URL: fake.URL, APIKey: "qbt_wrong"})
	if err := badKey.Connect(ctx); !errors.Is(err, torrent.ErrAuth) {
		t.Fatalf("a wrong API key: %v, want ErrAuth", err)
	}
	for name, settings := range map[string]torrent.Settings{
		"password": {Type: "qbittorrent", Name: "qb5-password", URL: fake.URL, Username: "admin", Password: fake.Password},
		"api key":  {Type: "qbittorrent", Name: "qb5-apikey", URL: fake.URL, APIKey: fake.APIKey},
	} {
		t.Run(name, func(t *testing.T) {
			runConformance(t, ctx, adapterUnderTest{
				newClient: func() torrent.Client {
					c, _ := torrent.New(settings)
					return c
				},
				dataDir: dataDir, makeTorrent: stack.MakeTorrent, incremental: true, tags: true, category: true,
			})
		})
	}
}
