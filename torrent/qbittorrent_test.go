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

// TestQBittorrentAdapter runs the adapter against a real qbittorrent-nox: login, dialect,
// incremental sync, every action read back from the client.
func TestQBittorrentAdapter(t *testing.T) {
	tools := stack.RequireTools(t)
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
	c, _ := torrent.NewQBittorrent("box", qb.URL, qb.Username, qb.Password)
	if err = c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Version() == "" {
		t.Fatal("no version")
	}
	first, err := c.Poll(ctx)
	if err != nil || !first.Full || len(first.Torrents) != 0 {
		t.Fatalf("first poll: %+v %v", first, err)
	}
	idle, err := c.Poll(ctx)
	if err != nil || idle.Full || len(idle.Torrents) != 0 {
		t.Fatalf("idle poll must be incremental and empty: %+v %v", idle, err)
	}

	tf, err := stack.MakeTorrent(qb.DownloadDir, "data.bin", 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err = c.AddFile(ctx, "data.torrent", tf.Metainfo, torrent.AddOptions{Stopped: true, SavePath: qb.DownloadDir}); err != nil {
		t.Fatal(err)
	}
	if err = c.AddFile(ctx, "data.torrent", tf.Metainfo, torrent.AddOptions{Stopped: true}); err == nil {
		t.Fatal("adding a duplicate must fail")
	}
	var added *torrent.Torrent
	for added == nil {
		ch, err := c.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ch.Torrents {
			if tr.Hash == tf.Hash {
				added = &tr
			}
		}
		if added == nil {
			select {
			case <-ctx.Done():
				t.Fatal("added torrent never showed in the incremental sync")
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if added.Name != "data.bin" || added.Size != 64<<10 {
		t.Fatalf("added torrent: %+v", added)
	}

	waitState := func(what string, ok func(*torrent.Torrent, error) bool) {
		t.Helper()
		for {
			tr, err := c.Get(ctx, tf.Hash)
			if ok(tr, err) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s never happened (last %+v %v)", what, tr, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if err = c.Start(ctx, tf.Hash); err != nil {
		t.Fatal(err)
	}
	waitState("start", func(tr *torrent.Torrent, err error) bool { return err == nil && tr.State == torrent.StateSeeding })
	if err = c.Stop(ctx, tf.Hash); err != nil {
		t.Fatal(err)
	}
	waitState("stop", func(tr *torrent.Torrent, err error) bool { return err == nil && tr.State == torrent.StateStopped })
	if err = c.Remove(ctx, tf.Hash, false); err != nil {
		t.Fatal(err)
	}
	waitState("remove", func(_ *torrent.Torrent, err error) bool { return errors.Is(err, torrent.ErrNoSuchTorrent) })
	if _, err = c.Get(ctx, "0000000000000000000000000000000000000000"); !errors.Is(err, torrent.ErrNoSuchTorrent) {
		t.Fatalf("unknown hash: %v", err)
	}
}
