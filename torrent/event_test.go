package torrent

import (
	"slices"
	"testing"
)

func TestDiffEvents(t *testing.T) {
	base := Torrent{Hash: "h", Name: "n", Size: 10}
	with := func(state State, progress float64) Torrent {
		t := base
		t.State, t.Progress = state, progress
		return t
	}
	cases := []struct {
		name      string
		prev      *Torrent
		cur       Torrent
		wantKinds []EventKind
	}{
		{"new torrent", nil, with(StateDownloading, 0), []EventKind{EventAdded}},
		{"unchanged", ptr(with(StateDownloading, 0.5)), with(StateDownloading, 0.5), nil},
		{"progress only", ptr(with(StateDownloading, 0.1)), with(StateDownloading, 0.5), nil},
		{"completes and seeds", ptr(with(StateDownloading, 0.9)), with(StateSeeding, 1), []EventKind{EventCompleted, EventSeedingStarted}},
		{"completes stopped", ptr(with(StateDownloading, 0.9)), with(StateStopped, 1), []EventKind{EventCompleted, EventStopped}},
		{"stopped", ptr(with(StateSeeding, 1)), with(StateStopped, 1), []EventKind{EventStopped}},
		{"resumed seeding", ptr(with(StateStopped, 1)), with(StateSeeding, 1), []EventKind{EventResumed, EventSeedingStarted}},
		{"resumed downloading", ptr(with(StateStopped, 0.2)), with(StateDownloading, 0.2), []EventKind{EventResumed}},
		{"checking says nothing", ptr(with(StateStopped, 0.2)), with(StateChecking, 0.2), nil},
		{"first seen checking, then stopped", ptr(with(StateChecking, 0)), with(StateStopped, 1), []EventKind{EventCompleted}},
		{"first seen checking, then seeding", ptr(with(StateChecking, 1)), with(StateSeeding, 1), []EventKind{EventSeedingStarted}},
		{"errored", ptr(with(StateDownloading, 0.2)), with(StateErrored, 0.2), []EventKind{EventErrored}},
		{"metadata received", ptr(with(StateMetadata, 0)), with(StateDownloading, 0), []EventKind{EventMetadataReceived}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := diffEvents(tc.prev, tc.cur); !slices.Equal(got, tc.wantKinds) {
				t.Fatalf("events %v, want %v", got, tc.wantKinds)
			}
		})
	}
}

// TestCheckingIsAPassage runs sequences through settle and diffEvents as the watcher does.
func TestCheckingIsAPassage(t *testing.T) {
	run := func(states ...State) []EventKind {
		var prev *Torrent
		var kinds []EventKind
		for _, s := range states {
			progress := 1.0
			if s == StateChecking {
				progress = 0.3 // a check counts up from zero
			}
			cur := settle(prev, Torrent{Hash: "h", Size: 1, Progress: progress, State: s})
			kinds = append(kinds, diffEvents(prev, cur)...)
			prev = &cur
		}
		return kinds
	}
	for name, tc := range map[string]struct {
		states []State
		want   []EventKind
	}{
		"resume through checking":  {[]State{StateStopped, StateChecking, StateSeeding}, []EventKind{EventAdded, EventResumed, EventSeedingStarted}},
		"recheck while stopped":    {[]State{StateStopped, StateChecking, StateStopped}, []EventKind{EventAdded}},
		"recheck while seeding":    {[]State{StateSeeding, StateChecking, StateSeeding}, []EventKind{EventAdded}},
		"added checking, stopped":  {[]State{StateChecking, StateStopped}, []EventKind{EventAdded, EventCompleted}}, // its data was there
		"stop during a long check": {[]State{StateSeeding, StateChecking, StateStopped}, []EventKind{EventAdded, EventStopped}},
	} {
		if got := run(tc.states...); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestQBittorrentStates(t *testing.T) {
	for raw, want := range map[string]State{
		"pausedDL": StateStopped, "stoppedUP": StateStopped, "stalledUP": StateSeeding, "uploading": StateSeeding,
		"stalledDL": StateDownloading, "metaDL": StateMetadata, "checkingResumeData": StateChecking,
		"missingFiles": StateErrored, "somethingNew": StateUnknown,
	} {
		if got := qbState(raw); got != want {
			t.Errorf("qbState(%q) = %s, want %s", raw, got, want)
		}
	}
}

func TestAPIVersionDialect(t *testing.T) {
	for s, want := range map[string]bool{"2.8.19": false, "2.11.0": true, "2.11": true, "3.0": true, "2.10.4": false} {
		v, err := parseAPIVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		if v.atLeast(2, 11) != want {
			t.Errorf("%s: stop/start dialect = %v, want %v", s, !want, want)
		}
	}
	if _, err := parseAPIVersion("<html>"); err == nil {
		t.Error("garbage version accepted")
	}
}
