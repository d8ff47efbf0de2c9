package torrent

import "github.com/seedgate/seedgate/store"

// seen is what the watcher remembers of a torrent between polls: only the fields its events
// are computed from and the database keeps. The client's full record (category, trackers,
// paths) comes with every poll that reports the torrent, so keeping it here too would only
// double the memory of a large client (100,000 torrents).
type seen struct {
	Name     string
	Size     int64
	Progress float64
	State    State
}

func seenOf(t Torrent) seen {
	return seen{Name: t.Name, Size: t.Size, Progress: t.Progress, State: t.State}
}

// torrent is the remembered torrent as events carry it: a removed torrent's event holds this.
func (s seen) torrent(hash string) Torrent {
	return Torrent{Hash: hash, Name: s.Name, Size: s.Size, Progress: s.Progress, State: s.State}
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
		w.known[hash] = seen{Name: st.Name, State: State(st.State), Size: st.Size, Progress: st.Progress}
	}
}
