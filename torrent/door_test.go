package torrent_test

import (
	"context"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// TestDoorOnNewerDialects closes the door on fakes of qBittorrent 5 (add_stopped_enabled) and
// Transmission 4, which Debian does not ship; test/door does it on the four real clients. An
// adder that names no initial state then gets a stopped torrent; one that asks to start
// explicitly still gets a running one, which is why the watcher checks every new torrent.
func TestDoorOnNewerDialects(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qb := stack.StartFakeQBittorrent5("s3cret-pass", "")
	t.Cleanup(qb.Close)
	tr := stack.StartFakeTransmission4("seedgate", "s3cret")
	t.Cleanup(tr.Close)
	qbc, _ := torrent.NewQBittorrent("qb5", qb.URL, "admin", "s3cret-pass")
	trc, _ := torrent.NewTransmission("tr4", tr.URL, "seedgate", "s3cret")
	for _, c := range []torrent.Client{qbc, trc} {
		t.Run(c.Name(), func(t *testing.T) {
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			door := c.(torrent.Door)
			if closed, err := door.DoorClosed(ctx); err != nil || closed {
				t.Fatalf("a fresh client's door: closed=%v, %v; want open", closed, err)
			}
			if err := door.CloseDoor(ctx); err != nil {
				t.Fatal(err)
			}
			if closed, err := door.DoorClosed(ctx); err != nil || !closed {
				t.Fatalf("after CloseDoor: closed=%v, %v", closed, err)
			}
			quiet, _ := stack.MakeTorrent("", "by-default.bin", 16<<10)
			explicit, _ := stack.MakeTorrent("", "asked-to-start.bin", 16<<10)
			if err := c.AddFile(ctx, "a.torrent", quiet.Metainfo, torrent.AddOptions{ClientDefault: true}); err != nil {
				t.Fatal(err)
			}
			if err := c.AddFile(ctx, "b.torrent", explicit.Metainfo, torrent.AddOptions{Stopped: false}); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Get(ctx, quiet.Hash); err != nil || got.State.Running() {
				t.Fatalf("added with the client's default behind a closed door: %+v, %v; want stopped", got, err)
			}
			if got, err := c.Get(ctx, explicit.Hash); err != nil || !got.State.Running() {
				t.Fatalf("added with an explicit start: %+v, %v; the client runs it whatever the door says", got, err)
			}
		})
	}
}
