package torrent

import (
	"unique"

	"github.com/seedgate/seedgate/store"
)

// seen is what the watcher remembers of a torrent between polls: the fields its events are
// computed from and the database keeps, and those policies match on (category, tags,
// tracker), which a removed torrent's event must still carry. The rest of the client's record
// (paths, raw state, when added) comes with every poll that reports the torrent; keeping it
// here too would double the memory of a large client (100,000 torrents).
type seen struct {
	Name     string
	Size     int64
	Progress float64
	labels   unique.Handle[seenLabels]
}

// seenLabels are the fields few distinct values cover (a handful of states, categories,
// trackers): each distinct set is held once, and a seen record points at it, 8 bytes instead of
// 64 per torrent.
type seenLabels struct {
	State    State
	Category string
	Tags     string
	Tracker  string
}

func seenOf(t Torrent) seen {
	return seen{Name: t.Name, Size: t.Size, Progress: t.Progress,
		labels: unique.Make(seenLabels{State: t.State, Category: t.Category, Tags: t.Tags, Tracker: t.Tracker})}
}

// torrent is the remembered torrent as events carry it: a removed torrent's event holds this.
func (s seen) torrent(hash string) Torrent {
	l := s.labels.Value()
	return Torrent{Hash: hash, Name: s.Name, Size: s.Size, Progress: s.Progress, State: l.State, Category: l.Category, Tags: l.Tags, Tracker: l.Tracker}
}

// previous returns what the watcher last saw of a torrent, or nil if it never saw it.
func (w *Watcher) previous(hash string) *Torrent {
	s, ok := w.known[hash]
	if !ok {
		return nil
	}
	t := s.torrent(hash)
	return &t
}

// remember starts the watcher from the states the database kept.
func (w *Watcher) remember(states map[string]*store.TorrentState) {
	w.known = make(map[string]seen, len(states))
	for hash, st := range states {
		w.known[hash] = seenOf(Torrent{Name: st.Name, State: State(st.State), Size: st.Size, Progress: st.Progress})
	}
}
