package torrent

import "time"

// EventKind names what happened to a torrent.
type EventKind string

const (
	EventAdded            EventKind = "added"
	EventMetadataReceived EventKind = "metadata_received"
	EventCompleted        EventKind = "completed"
	EventSeedingStarted   EventKind = "seeding_started"
	EventStopped          EventKind = "stopped"
	EventResumed          EventKind = "resumed"
	EventErrored          EventKind = "errored"
	EventRemoved          EventKind = "removed"
)

// Event is one thing that happened to one torrent in one client.
type Event struct {
	Kind    EventKind
	Client  string
	Torrent Torrent // for EventRemoved, the last state seen
	At      time.Time
}

// diffEvents lists the events that turn prev into cur, in the order they happened.
// prev is nil for a torrent not seen before. Checking is a passage, not a state of its own:
// the watcher keeps the state a torrent had before checking (see settle), so stopped ->
// checking -> seeding is a resume, and a recheck that ends where it began says nothing.
func diffEvents(prev *Torrent, cur Torrent) []EventKind {
	if prev == nil {
		return []EventKind{EventAdded}
	}
	var kinds []EventKind
	if prev.State == StateMetadata && cur.State != StateMetadata && cur.Size > 0 {
		kinds = append(kinds, EventMetadataReceived)
	}
	if prev.Progress < 1 && cur.Progress >= 1 {
		kinds = append(kinds, EventCompleted)
	}
	if cur.State != prev.State && cur.State != StateChecking {
		switch {
		case cur.State == StateErrored:
			kinds = append(kinds, EventErrored)
		case cur.State == StateStopped && prev.State != StateChecking:
			kinds = append(kinds, EventStopped)
		case prev.State == StateStopped:
			kinds = append(kinds, EventResumed)
		}
		if cur.State == StateSeeding {
			kinds = append(kinds, EventSeedingStarted)
		}
	}
	return kinds
}

// settle returns cur as the watcher should remember it: while a torrent it already knew is
// checking, it keeps the state and progress from before (a check counts progress up from zero,
// which is not a download completing again). Only a torrent first seen checking is remembered
// as checking, and its first real state is then not an event (it was added that way).
func settle(prev *Torrent, cur Torrent) Torrent {
	if cur.State == StateChecking && prev != nil {
		cur.State, cur.Progress = prev.State, prev.Progress
	}
	return cur
}
