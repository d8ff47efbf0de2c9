package torrent

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// lookupClient is a client that knows a fixed set of torrents and counts lookups; only what
// the hook path calls is implemented.
type lookupClient struct {
	Client
	have    map[string]Torrent
	lookups int
}

func (c *lookupClient) Name() string { return "box" }

func (c *lookupClient) Get(_ context.Context, hash string) (*Torrent, error) {
	c.lookups++
	t, ok := c.have[hash]
	if !ok {
		return nil, fmt.Errorf("%s: %w", hash, ErrNoSuchTorrent)
	}
	return &t, nil
}

// TestHookHintsAreCheckedWithTheClient: a hook that names a torrent makes the watcher ask
// the client about it, and only the client's answer makes an event; a hash the client does
// not have makes none, a malformed one is not even asked about, and a flood of made-up
// hashes asks about at most maxHints of them.
func TestHookHintsAreCheckedWithTheClient(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	w := newWatcher(t, filepath.Join(t.TempDir(), "w.db"), rec)
	real := strings.Repeat("ab", 20)
	client := &lookupClient{have: map[string]Torrent{real: tor(real, StateStopped, 0)}}
	w.Client = client

	w.PokeTorrent(strings.ToUpper(real))         // clients may pass upper case
	w.PokeTorrent(strings.Repeat("cd", 20))      // well formed, not in the client
	w.PokeTorrent("../../etc/passwd")            // not a hash: never asked about
	w.PokeTorrent(strings.Repeat("e", 63) + "x") // almost a v2 hash
	found := w.lookUp(ctx, w.takeHints())
	if client.lookups != 2 {
		t.Fatalf("the client was asked %d times, want 2 (the two well-formed hashes)", client.lookups)
	}
	if len(found.Torrents) != 1 || found.Torrents[0].Hash != real || found.Full {
		t.Fatalf("lookup found %+v, want only %s as a partial change", found, real)
	}
	if err := w.apply(ctx, found, false); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 1 || rec.events[0] != string(EventAdded)+" "+real {
		t.Fatalf("events %v, want one added for %s", rec.events, real)
	}
	// A hook about a torrent the watcher knows only pokes: the poll says what changed.
	w.PokeTorrent(real)
	if hints := w.takeHints(); len(hints) != 0 {
		t.Fatalf("a known torrent was looked up again: %v", hints)
	}
	// The same torrent in the next poll is no second event.
	if err := w.apply(ctx, &Changes{Torrents: []Torrent{tor(real, StateStopped, 0)}}, false); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 1 {
		t.Fatalf("the poll after the lookup made more events: %v", rec.events)
	}

	client.lookups = 0
	for i := range 3 * maxHints {
		w.PokeTorrent(fmt.Sprintf("%040x", i))
	}
	w.lookUp(ctx, w.takeHints())
	if client.lookups != maxHints {
		t.Fatalf("a flood of %d made-up hashes made %d lookups, want at most %d", 3*maxHints, client.lookups, maxHints)
	}
	if hints := w.takeHints(); len(hints) != 0 {
		t.Fatalf("%d hints left after they were taken", len(hints))
	}
}
