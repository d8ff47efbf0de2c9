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
		{"resume goes through checking first", ptr(with(StateStopped, 0.2)), with(StateChecking, 0.2), nil},
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
