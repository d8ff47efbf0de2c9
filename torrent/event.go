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
// prev is nil for a torrent not seen before.
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
	if cur.State != prev.State {
		switch {
		case cur.State == StateErrored:
			kinds = append(kinds, EventErrored)
		case cur.State == StateStopped:
			kinds = append(kinds, EventStopped)
		case prev.State == StateStopped && cur.State != StateChecking:
			kinds = append(kinds, EventResumed)
		}
		if cur.State == StateSeeding {
			kinds = append(kinds, EventSeedingStarted)
		}
	}
	return kinds
}
