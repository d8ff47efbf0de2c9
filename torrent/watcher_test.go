package torrent

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
)

type recorder struct {
	events []string
	refuse func(Event) error // when set, an event it returns an error for is not taken
}

func (r *recorder) handle(_ context.Context, evt Event) error {
	if r.refuse != nil {
		if err := r.refuse(evt); err != nil {
			return err
		}
	}
	r.events = append(r.events, string(evt.Kind)+" "+evt.Torrent.Hash)
	return nil
}

func newWatcher(t *testing.T, path string, rec *recorder) *Watcher {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	states, err := st.LoadTorrentStates(context.Background(), "box")
	if err != nil {
		t.Fatal(err)
	}
	w := &Watcher{Client: &QBittorrent{name: "box"}, Store: st, Handle: rec.handle}
	w.remember(states)
	return w
}

func tor(hash string, state State, progress float64) Torrent {
	return Torrent{Hash: hash, Name: hash, Size: 1, State: state, Progress: progress}
}

// TestWatcherEventsOnceAcrossRestarts feeds the watcher the changes a client would report and
// checks that events come once: the first sync is a silent baseline, and after a restart a full
// resync replays nothing but reports what changed while seedgate was away.
func TestWatcherEventsOnceAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	rec := &recorder{}
	w := newWatcher(t, path, rec)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.apply(ctx, &Changes{Full: true, Torrents: []Torrent{tor("old", StateSeeding, 1)}}, true))
	must(w.apply(ctx, &Changes{Torrents: []Torrent{tor("new", StateDownloading, 0)}}, false))
	must(w.apply(ctx, &Changes{Torrents: []Torrent{tor("new", StateSeeding, 1)}}, false))
	if want := []string{"added new", "completed new", "seeding_started new"}; !slices.Equal(rec.events, want) {
		t.Fatalf("events %v, want %v", rec.events, want)
	}

	// Restart: a new watcher over the same database sees a full resync. "new" is unchanged,
	// "old" was removed and "other" added while seedgate was down.
	rec2 := &recorder{}
	w2 := newWatcher(t, path, rec2)
	must(w2.apply(ctx, &Changes{Full: true, Torrents: []Torrent{tor("new", StateSeeding, 1), tor("other", StateDownloading, 0)}}, false))
	slices.Sort(rec2.events)
	if want := []string{"added other", "removed old"}; !slices.Equal(rec2.events, want) {
		t.Fatalf("after restart: events %v, want %v", rec2.events, want)
	}
	// A second full resync (a client restart) is silent.
	rec2.events = nil
	must(w2.apply(ctx, &Changes{Full: true, Torrents: []Torrent{tor("new", StateSeeding, 1), tor("other", StateDownloading, 0)}}, false))
	if len(rec2.events) != 0 {
		t.Fatalf("a repeated full sync produced events: %v", rec2.events)
	}
}

// TestWatcherBacksOffASlowClient: the pause after a poll is the configured interval, or ten
// times what the last two polls took when both were slow and the last found nothing new.
func TestWatcherBacksOffASlowClient(t *testing.T) {
	w := &Watcher{Interval: time.Second}
	for i, step := range []struct {
		took     time.Duration
		foundNew bool
		want     time.Duration
	}{
		{time.Millisecond, false, time.Second},
		{10 * time.Second, false, time.Second}, // one slow poll: a timeout, a reconnect
		{time.Millisecond, false, time.Second},
		{900 * time.Millisecond, false, time.Second},
		{900 * time.Millisecond, false, 9 * time.Second}, // slow twice: the client is busy
		{2 * time.Second, false, 9 * time.Second},
		{2 * time.Second, true, time.Second}, // slow because it is adding a batch: look again soon
		{2 * time.Second, false, 20 * time.Second},
	} {
		if got := w.pause(step.took, step.foundNew); got != step.want {
			t.Errorf("step %d, a %v poll: pause %v, want %v", i, step.took, got, step.want)
		}
	}
}

// TestWatcherReportsEveryStartToRunning: a torrent first seen checking and then running makes
// no event (it was added that way), yet a hold must hear of it; so must a stopped torrent that
// runs again, and nothing else.
func TestWatcherReportsEveryStartToRunning(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	w := newWatcher(t, filepath.Join(t.TempDir(), "w.db"), rec)
	var running []string
	w.Running = func(_ context.Context, client string, t Torrent) {
		running = append(running, client+" "+t.Hash+" "+string(t.State))
	}
	steps := []Changes{
		{Full: true, Torrents: []Torrent{tor("seed", StateSeeding, 1)}},
		{Torrents: []Torrent{tor("new", StateChecking, 0), tor("held", StateDownloading, 0)}},
		{Torrents: []Torrent{tor("new", StateDownloading, 0), tor("held", StateStopped, 0)}},
		{Torrents: []Torrent{tor("held", StateChecking, 0)}},
		{Torrents: []Torrent{tor("held", StateDownloading, 0), tor("seed", StateSeeding, 1)}},
		{Torrents: []Torrent{tor("new", StateSeeding, 1)}},
	}
	for i, c := range steps {
		if err := w.apply(ctx, &c, i == 0); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"box new downloading", "box held downloading", "box new seeding"}
	if !slices.Equal(running, want) {
		t.Fatalf("told of runs %v, want %v", running, want)
	}
	if !slices.Contains(rec.events, "resumed held") || slices.Contains(rec.events, "resumed new") {
		t.Fatalf("events %v: want held's resume and no resume for the torrent added while checking", rec.events)
	}
}

// TestWatcherRetriesRefusedEvents: an event the handler refuses (its database write failed) is
// offered again with the next poll, even a partial poll that does not mention the torrent, in
// order and before the torrent's later events; the torrent's state is not recorded meanwhile,
// so a restart finds the events again too.
func TestWatcherRetriesRefusedEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	full := errors.New("database or disk is full")
	refusing := true
	rec := &recorder{refuse: func(evt Event) error {
		if refusing && evt.Torrent.Hash != "other" {
			return full
		}
		return nil
	}}
	w := newWatcher(t, path, rec)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.apply(ctx, &Changes{Full: true, Torrents: []Torrent{tor("gone", StateSeeding, 1)}}, true))
	must(w.apply(ctx, &Changes{Torrents: []Torrent{tor("new", StateDownloading, 0)}, Removed: []string{"gone"}}, false))
	must(w.apply(ctx, &Changes{Torrents: []Torrent{tor("other", StateDownloading, 0)}}, false))
	if !slices.Equal(rec.events, []string{"added other"}) {
		t.Fatalf("events while refusing: %v, want only the unrefused one", rec.events)
	}
	// A restart now would find them again: nothing of the refused torrents was recorded.
	states, err := w.Store.LoadTorrentStates(ctx, "box")
	must(err)
	if _, ok := states["new"]; ok || states["gone"] == nil {
		t.Fatalf("recorded state ran ahead of the refused events: %v", states)
	}

	// The third poll came before the retry was due: the gap is still the first one (1 s; the
	// next would be 2 s).
	if next := w.retryGap.Peek(); next != 2*time.Second {
		t.Fatalf("after one refusal the next gap is %v, want 2s", next)
	}
	w.retryAt = time.Time{} // the retry is due, and refused again: the gap doubles
	must(w.apply(ctx, &Changes{}, false))
	if next := w.retryGap.Peek(); next != 4*time.Second || !slices.Equal(rec.events, []string{"added other"}) {
		t.Fatalf("after a second refusal: next gap %v, events %v", next, rec.events)
	}
	refusing = false
	rec.events = nil
	must(w.apply(ctx, &Changes{}, false))
	if len(rec.events) != 0 {
		t.Fatalf("refused events offered again before their retry was due: %v", rec.events)
	}
	w.retryAt = time.Time{} // the retry is due
	must(w.apply(ctx, &Changes{}, false))
	slices.Sort(rec.events)
	if want := []string{"added new", "removed gone"}; !slices.Equal(rec.events, want) {
		t.Fatalf("events once accepted: %v, want %v", rec.events, want)
	}
	rec.events = nil
	must(w.apply(ctx, &Changes{Torrents: []Torrent{tor("new", StateSeeding, 1)}}, false))
	if want := []string{"completed new", "seeding_started new"}; !slices.Equal(rec.events, want) {
		t.Fatalf("later events: %v, want %v (each refused event exactly once more)", rec.events, want)
	}
}
