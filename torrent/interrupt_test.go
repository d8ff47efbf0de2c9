package torrent_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/torrent"
)

// waitingClient is a client whose change feed waits until something happens, as Deluge's
// web.get_events does, except that here nothing ever arrives through it: only a full listing,
// after an interruption, shows the torrent that was added.
type waitingClient struct {
	mu          sync.Mutex
	full        bool
	torrents    []torrent.Torrent
	interrupted int
	waiting     chan struct{} // receives each time a poll starts waiting
}

func (c *waitingClient) Name() string                  { return "waiting" }
func (c *waitingClient) Connect(context.Context) error { return nil }
func (c *waitingClient) Version() string               { return "fake" }
func (c *waitingClient) WillWait() bool                { c.mu.Lock(); defer c.mu.Unlock(); return !c.full }
func (c *waitingClient) Interrupted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.full = true
	c.interrupted++
}
func (c *waitingClient) Poll(ctx context.Context) (*torrent.Changes, error) {
	c.mu.Lock()
	full, list := c.full, append([]torrent.Torrent(nil), c.torrents...)
	c.full = false
	c.mu.Unlock()
	if full {
		return &torrent.Changes{Full: true, Torrents: list}, nil
	}
	select {
	case c.waiting <- struct{}{}:
	default:
	}
	<-ctx.Done() // the feed never reports anything by itself
	return nil, ctx.Err()
}
func (c *waitingClient) Get(context.Context, string) (*torrent.Torrent, error) {
	return nil, torrent.ErrNoSuchTorrent
}
func (c *waitingClient) Stop(context.Context, string) error                          { return nil }
func (c *waitingClient) Start(context.Context, string) error                         { return nil }
func (c *waitingClient) Remove(context.Context, string, bool) error                  { return nil }
func (c *waitingClient) SetCategory(context.Context, string, string) error           { return nil }
func (c *waitingClient) SetTags(context.Context, string, []string) error             { return nil }
func (c *waitingClient) AddMagnet(context.Context, string, torrent.AddOptions) error { return nil }
func (c *waitingClient) AddFile(context.Context, string, []byte, torrent.AddOptions) error {
	return nil
}

// TestPokeCutsAWaitingPollShort: a hook's poke ends a poll that waits on the client's event
// feed, and the client lists everything next, so the added torrent is seen now rather than
// when the wait would have ended (up to 5 s on Deluge, never here).
func TestPokeCutsAWaitingPollShort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &waitingClient{full: true, waiting: make(chan struct{}, 1)}
	events := newEventLog()
	w := startWatcher(t, ctx, c, filepath.Join(t.TempDir(), "w.db"), 10*time.Millisecond, events.handle)
	<-c.waiting // the watcher is inside a poll that would wait forever
	c.mu.Lock()
	c.torrents = []torrent.Torrent{{Hash: "aa", Name: "new", Size: 1, State: torrent.StateStopped}}
	c.mu.Unlock()
	w.Poke()
	events.waitFor(ctx, t, "aa", torrent.EventAdded)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.interrupted != 1 {
		t.Fatalf("the client was told of %d interruptions, want 1", c.interrupted)
	}
}
