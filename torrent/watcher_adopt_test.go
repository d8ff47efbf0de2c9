package torrent

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestAdoptionSeesTheClientsFullRecords: the adopter decides holds by policy (category,
// tracker, path), so it must get the torrents as the client reported them, although the
// watcher itself remembers only name, size, progress and state. When the adopter fails, the
// next try (after an incremental poll) offers every torrent again, updates included, and a
// torrent removed meanwhile is no longer offered.
func TestAdoptionSeesTheClientsFullRecords(t *testing.T) {
	ctx := context.Background()
	w := newWatcher(t, filepath.Join(t.TempDir(), "w.db"), &recorder{})
	w.Door = true
	var offered [][]Torrent
	fail := true
	w.Adopt = func(_ context.Context, _ string, list []Torrent) error {
		offered = append(offered, list)
		if fail {
			return errors.New("database is locked")
		}
		return nil
	}
	full := func(hash, category string) Torrent {
		t := tor(hash, StateStopped, 0)
		t.Category, t.Tracker, t.SavePath = category, "http://tracker.example/announce", "/srv/"+category
		return t
	}
	if err := w.apply(ctx, &Changes{Full: true, Torrents: []Torrent{full("a", "movies"), full("b", "linux"), full("c", "tv")}}, true); err != nil {
		t.Fatal(err)
	}
	if w.adopt(ctx) {
		t.Fatal("adopt reported success although the adopter failed")
	}
	if err := w.apply(ctx, &Changes{Torrents: []Torrent{full("b", "isos")}, Removed: []string{"c"}}, true); err != nil {
		t.Fatal(err)
	}
	fail = false
	if !w.adopt(ctx) {
		t.Fatal("adopt failed although the adopter took them")
	}
	if len(offered) != 2 || len(offered[0]) != 3 {
		t.Fatalf("offers %v, want the first sync's three torrents, then a retry", offered)
	}
	retry := offered[1]
	if len(retry) != 2 || retry[0].Hash != "a" || retry[1].Hash != "b" {
		t.Fatalf("retry offered %v, want a and b (c was removed)", retry)
	}
	if retry[0].Category != "movies" || retry[0].Tracker == "" || retry[1].Category != "isos" || retry[1].SavePath != "/srv/isos" {
		t.Fatalf("the retry lost the client's fields: %+v", retry)
	}
	if w.unadopted != nil {
		t.Fatalf("%d torrents still kept for adoption after it succeeded", len(w.unadopted))
	}
}

// TestRemovedEventKeepsWhatPoliciesMatch: policies match removals by category, tags and
// tracker too, so the compact record the watcher keeps must still hold them.
func TestRemovedEventKeepsWhatPoliciesMatch(t *testing.T) {
	ctx := context.Background()
	var removed []Event
	w := newWatcher(t, filepath.Join(t.TempDir(), "w.db"), &recorder{})
	w.Handle = func(_ context.Context, evt Event) error {
		if evt.Kind == EventRemoved {
			removed = append(removed, evt)
		}
		return nil
	}
	held := tor("a", StateSeeding, 1)
	held.Category, held.Tags, held.Tracker = "movies", "private", "https://tracker.example/announce"
	if err := w.apply(ctx, &Changes{Full: true, Torrents: []Torrent{held}}, true); err != nil {
		t.Fatal(err)
	}
	if err := w.apply(ctx, &Changes{Removed: []string{"a"}}, false); err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 {
		t.Fatalf("%d removed events, want 1", len(removed))
	}
	if got := removed[0].Torrent; got.Category != "movies" || got.Tags != "private" || got.Tracker != held.Tracker || got.Name != "a" {
		t.Fatalf("the removed event lost what policies match on: %+v", got)
	}
}
