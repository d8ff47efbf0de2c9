// Package hookcall is the calling end of seedgate's hook endpoint: the program a torrent
// client's own hook runs (`seedgate-hook`, and `seedgate hook` in the main binary), and the
// call it sends. It links nothing but the standard library and seedgate's crypto package, so
// the program starts in about a third of the main binary's time: it runs once per torrent
// event, and its start is part of every hooked event -> card.
package hookcall

// Call is what the hook sends when a client's own hook runs.
type Call struct {
	Client string `json:"client"`
	Event  string `json:"event"` // the client's word: added, finished, erased...
	Hash   string `json:"hash"`
	Name   string `json:"name"`
}
