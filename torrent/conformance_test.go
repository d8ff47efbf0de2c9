package torrent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
	"github.com/seedgate/seedgate/torrent/metainfo"
)

// adapterUnderTest describes one real client for the conformance run.
type adapterUnderTest struct {
	// newClient returns the adapter; the watcher and the test's actions share it, as
	// seedgate's watcher and its approval actions do.
	newClient func() torrent.Client
	// dataDir is the client's download directory, where the test writes the torrent's data.
	dataDir string
	// makeTorrent makes a torrent (some clients refuse trackerless ones).
	makeTorrent func(dataDir, name string, size int) (*stack.TorrentFile, error)
	// incremental says an idle poll is not a full listing.
	incremental bool
	// category and tags say which labels the client has.
	category, tags bool
	// restart restarts the client process on its own configuration, or is nil.
	restart func(ctx context.Context) error
}

// eventLog collects a watcher's events.
type eventLog struct {
	mu      sync.Mutex
	events  []torrent.Event
	wake    chan struct{}
	onEvent torrent.Handler // also called for each event, when set
}

func newEventLog() *eventLog { return &eventLog{wake: make(chan struct{}, 1)} }

func (l *eventLog) handle(ctx context.Context, evt torrent.Event) error {
	if l.onEvent != nil {
		l.onEvent(ctx, evt)
	}
	l.mu.Lock()
	l.events = append(l.events, evt)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

// kinds lists the kinds seen for hash, in order.
func (l *eventLog) kinds(hash string) []torrent.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []torrent.EventKind
	for _, e := range l.events {
		if e.Torrent.Hash == hash {
			out = append(out, e.Kind)
		}
	}
	return out
}

// waitFor waits until hash has had an event of kind.
func (l *eventLog) waitFor(ctx context.Context, t testing.TB, hash string, kind torrent.EventKind) {
	t.Helper()
	for !slices.Contains(l.kinds(hash), kind) {
		select {
		case <-ctx.Done():
			t.Fatalf("no %s event for %s; saw %v", kind, hash, l.kinds(hash))
		case <-l.wake:
		}
	}
}

// waitCount waits until hash has had n events of kind.
func (l *eventLog) waitCount(ctx context.Context, t *testing.T, hash string, kind torrent.EventKind, n int) {
	t.Helper()
	for count(l.kinds(hash), kind) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("fewer than %d %s events for %s; saw %v", n, kind, hash, l.kinds(hash))
		case <-l.wake:
		}
	}
}

// runConformance drives one real client through every action, reading each result back
// through the client's API, while a watcher turns the client's changes into events.
func runConformance(t *testing.T, ctx context.Context, a adapterUnderTest) {
	c := a.newClient()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Version() == "" {
		t.Fatal("Connect learned no version")
	}
	t.Logf("connected: %s", c.Version())
	first, err := c.Poll(ctx)
	if err != nil || !first.Full || len(first.Torrents) != 0 {
		t.Fatalf("first poll: %+v %v", first, err)
	}
	idle, err := c.Poll(ctx)
	if err != nil || len(idle.Torrents) != 0 {
		t.Fatalf("idle poll: %+v %v", idle, err)
	}
	if a.incremental && idle.Full {
		t.Fatal("an idle poll must not list everything again")
	}

	events := newEventLog()
	startWatcher(t, ctx, c, filepath.Join(t.TempDir(), "watch.db"), 100*time.Millisecond, events.handle)

	unknown := "0000000000000000000000000000000000000000"
	if _, err = c.Get(ctx, unknown); !errors.Is(err, torrent.ErrNoSuchTorrent) {
		t.Fatalf("Get of an unknown hash: %v, want ErrNoSuchTorrent", err)
	}
	if err = c.Stop(ctx, unknown); !errors.Is(err, torrent.ErrNoSuchTorrent) && a.incremental {
		t.Fatalf("Stop of an unknown hash: %v, want ErrNoSuchTorrent", err)
	}

	tf, err := a.makeTorrent(a.dataDir, "conformance.bin", 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err = c.AddFile(ctx, "conformance.torrent", tf.Metainfo, torrent.AddOptions{Stopped: true, SavePath: a.dataDir}); err != nil {
		t.Fatal(err)
	}
	got := waitTorrent(ctx, t, c, tf.Hash, "added stopped", func(tr *torrent.Torrent) bool { return tr.State == torrent.StateStopped })
	if got.Name != "conformance.bin" || got.Size != tf.Size {
		t.Fatalf("added torrent reads back as %+v", got)
	}
	if err = c.AddFile(ctx, "conformance.torrent", tf.Metainfo, torrent.AddOptions{Stopped: true}); err == nil {
		t.Fatal("adding a duplicate must fail")
	}
	events.waitFor(ctx, t, tf.Hash, torrent.EventAdded)

	if err = c.Start(ctx, tf.Hash); err != nil {
		t.Fatal(err)
	}
	waitTorrent(ctx, t, c, tf.Hash, "seeding", func(tr *torrent.Torrent) bool { return tr.State == torrent.StateSeeding && tr.Progress == 1 })
	events.waitFor(ctx, t, tf.Hash, torrent.EventSeedingStarted)
	if err = c.Stop(ctx, tf.Hash); err != nil {
		t.Fatal(err)
	}
	waitTorrent(ctx, t, c, tf.Hash, "stopped", func(tr *torrent.Torrent) bool { return tr.State == torrent.StateStopped })
	events.waitFor(ctx, t, tf.Hash, torrent.EventStopped)
	resumedBefore := count(events.kinds(tf.Hash), torrent.EventResumed)
	if err = c.Start(ctx, tf.Hash); err != nil {
		t.Fatal(err)
	}
	waitTorrent(ctx, t, c, tf.Hash, "resumed", func(tr *torrent.Torrent) bool { return tr.State == torrent.StateSeeding })
	events.waitCount(ctx, t, tf.Hash, torrent.EventResumed, resumedBefore+1)

	checkLabels(ctx, t, c, a, tf.Hash)

	if a.restart != nil {
		// Across a restart of the client, the watcher must not replay what it already said.
		before := len(events.kinds(tf.Hash))
		if err = a.restart(ctx); err != nil {
			t.Fatal(err)
		}
		waitTorrent(ctx, t, c, tf.Hash, "seeding after restart", func(tr *torrent.Torrent) bool { return tr.State == torrent.StateSeeding })
		awaitPolls(ctx, t, c.Name(), 3)
		if after := events.kinds(tf.Hash)[before:]; slices.Contains(after, torrent.EventAdded) || slices.Contains(after, torrent.EventRemoved) {
			t.Fatalf("a client restart produced false events: %v", after)
		}
	}

	if err = c.Remove(ctx, tf.Hash, false); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, c, tf.Hash)
	events.waitFor(ctx, t, tf.Hash, torrent.EventRemoved)
	if _, err = os.Stat(filepath.Join(a.dataDir, "conformance.bin")); err != nil {
		t.Fatalf("remove without data deleted the data: %v", err)
	}

	// Add again, running this time, and remove with the data.
	if err = c.AddFile(ctx, "conformance.torrent", tf.Metainfo, torrent.AddOptions{SavePath: a.dataDir}); err != nil {
		t.Fatal(err)
	}
	waitTorrent(ctx, t, c, tf.Hash, "re-added, seeding", func(tr *torrent.Torrent) bool { return tr.State == torrent.StateSeeding })
	events.waitCount(ctx, t, tf.Hash, torrent.EventAdded, 2)
	if err = c.Remove(ctx, tf.Hash, true); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, c, tf.Hash)
	waitNoFile(ctx, t, filepath.Join(a.dataDir, "conformance.bin"))
	events.waitCount(ctx, t, tf.Hash, torrent.EventRemoved, 2)
	awaitPolls(ctx, t, c.Name(), 1)

	kinds := events.kinds(tf.Hash)
	for _, k := range []torrent.EventKind{torrent.EventAdded, torrent.EventRemoved} {
		if n := count(kinds, k); n != 2 {
			t.Fatalf("%s seen %d times over two adds and removes: %v", k, n, kinds)
		}
	}
	t.Logf("events: %v", kinds)
}

func checkLabels(ctx context.Context, t *testing.T, c torrent.Client, a adapterUnderTest, hash string) {
	t.Helper()
	err := c.SetTags(ctx, hash, []string{"alpha", "beta"})
	switch {
	case !a.tags && !errors.Is(err, torrent.ErrUnsupported):
		t.Fatalf("SetTags on a client without tags: %v, want ErrUnsupported", err)
	case a.tags && err != nil:
		t.Fatal(err)
	case a.tags:
		waitTorrent(ctx, t, c, hash, "tags set", func(tr *torrent.Torrent) bool { return tr.Tags == "alpha,beta" || tr.Tags == "alpha, beta" })
	}
	err = c.SetCategory(ctx, hash, "movies")
	switch {
	case !a.category && !errors.Is(err, torrent.ErrUnsupported):
		t.Fatalf("SetCategory on a client without categories: %v, want ErrUnsupported", err)
	case a.category && err != nil:
		t.Fatal(err)
	case a.category:
		waitTorrent(ctx, t, c, hash, "category set", func(tr *torrent.Torrent) bool { return tr.Category == "movies" })
	}
}

func count[T comparable](list []T, v T) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}

// waitTorrent polls Get until ok holds.
func waitTorrent(ctx context.Context, t testing.TB, c torrent.Client, hash, what string, ok func(*torrent.Torrent) bool) *torrent.Torrent {
	t.Helper()
	for {
		tr, err := c.Get(ctx, hash)
		if err == nil && ok(tr) {
			return tr
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never happened: last %+v, %v", what, tr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func waitGone(ctx context.Context, t *testing.T, c torrent.Client, hash string) {
	t.Helper()
	for {
		_, err := c.Get(ctx, hash)
		if errors.Is(err, torrent.ErrNoSuchTorrent) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s still present after remove (%v)", hash, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func waitNoFile(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s still exists after remove with data", path)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startWatcher runs a watcher of c over a fresh store at dbPath until the test ends, and
// waits for its silent first sync.
func startWatcher(t testing.TB, ctx context.Context, c torrent.Client, dbPath string, interval time.Duration, handle torrent.Handler) *torrent.Watcher {
	t.Helper()
	st, err := store.OpenSQLite(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	watcher := torrent.NewWatcher(c, st, interval, handle)
	watchCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = watcher.Run(watchCtx) }()
	t.Cleanup(func() { stop(); <-done })
	waitBaseline(ctx, t, st, c.Name())
	return watcher
}

// waitBaseline waits for the watcher's silent first sync.
func waitBaseline(ctx context.Context, t testing.TB, st *store.Store, client string) {
	t.Helper()
	for {
		v, err := st.GetKV(ctx, "watcher/"+client+"/baseline")
		if err == nil && v != "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the watcher never finished its first sync")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// awaitPolls waits until the watcher of client has completed n more successful polls, so an
// event that a poll would produce has been produced.
func awaitPolls(ctx context.Context, t *testing.T, client string, n int) {
	t.Helper()
	start := metrics.WatcherPolls.Value(client) - metrics.WatcherPollErrors.Value(client)
	for metrics.WatcherPolls.Value(client)-metrics.WatcherPollErrors.Value(client) < start+float64(n) {
		select {
		case <-ctx.Done():
			t.Fatalf("the watcher of %s stopped polling", client)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestInfoHashMatchesTheTorrentFile checks the adapter's info-hash against the generator's.
func TestInfoHashMatchesTheTorrentFile(t *testing.T) {
	for _, announce := range []string{"", "http://127.0.0.1:9/announce"} {
		tf, err := stack.MakeTorrentAnnounce("", "x.bin", 40000, announce)
		if err != nil {
			t.Fatal(err)
		}
		got, err := metainfo.InfoHash(tf.Metainfo)
		if err != nil || got != tf.Hash {
			t.Fatalf("announce %q: InfoHash = %s, %v; want %s", announce, got, err, tf.Hash)
		}
	}
	for _, bad := range []string{"", "x", "d4:infoi1e", "d4:info", "l4:infoe", "d3:abce"} {
		if _, err := metainfo.InfoHash([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
