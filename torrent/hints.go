package torrent

import (
	"context"
	"errors"
	"strings"

	"github.com/rs/zerolog"
)

// maxHints bounds the torrents hooks may name between two looks: a caller with the hook
// secret could otherwise make seedgate ask the client about any number of made-up hashes
// (4,096 is 82 calls of getManyChunk). Past it, hooks still poke, and the regular poll finds
// what they named. A client adding a large batch runs its hook for each torrent while it is
// too busy to answer, so a round's hints can be a whole batch of a thousand.
const maxHints = 4096

// ManyGetter is a client that looks up many torrents in one call.
type ManyGetter interface {
	// GetMany returns those of hashes the client has; unknown ones are left out.
	GetMany(ctx context.Context, hashes []string) ([]Torrent, error)
}

// getManyChunk is how many hashes one GetMany call asks about (qBittorrent's hashes=a|b|…
// keeps the URL near 2 KB).
const getManyChunk = 50

// PokeTorrent is Poke from a hook that named its torrent. Before its next poll the watcher
// asks the client about that torrent alone, if it has not seen it yet: a client with many
// torrents answers that far sooner than its change feed (qBittorrent's sync/maindata costs it
// about 0.9 s of CPU with 10,000). The client's answer, not the hook, makes the event: a hook
// that names a torrent the client does not have makes none.
func (w *Watcher) PokeTorrent(hash string) {
	hash = strings.ToLower(hash)
	if isInfoHash(hash) {
		w.hintsMu.Lock()
		if w.hints == nil {
			w.hints = map[string]bool{}
		}
		if len(w.hints) < maxHints {
			w.hints[hash] = true
		}
		w.hintsMu.Unlock()
	}
	w.Poke()
}

// isInfoHash reports whether s is a v1 (40) or v2 (64) hex info-hash in lower case.
func isInfoHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// takeHints returns the hashes hooks named since the last call that the watcher has not seen
// yet, and forgets them all. A hook about a torrent it knows (a completion, say) only pokes:
// the poll's diff says what changed, and a poll may have found the others meanwhile.
func (w *Watcher) takeHints() []string {
	w.hintsMu.Lock()
	hinted := w.hints
	w.hints = nil
	w.hintsMu.Unlock()
	hashes := make([]string, 0, len(hinted))
	for hash := range hinted {
		if _, ok := w.known[hash]; !ok {
			hashes = append(hashes, hash)
		}
	}
	return hashes
}

// lookUp asks the client about hashes and returns what it has as a partial change (nothing
// is removed by it). It gives up at the first error other than an unknown torrent: the poll
// that follows finds everything anyway.
func (w *Watcher) lookUp(ctx context.Context, hashes []string) *Changes {
	changes := &Changes{}
	if many, ok := w.Client.(ManyGetter); ok {
		for from := 0; from < len(hashes); from += getManyChunk {
			found, err := many.GetMany(ctx, hashes[from:min(from+getManyChunk, len(hashes))])
			if err != nil {
				zerolog.Ctx(ctx).Debug().Err(err).Msg("Looking up hooked torrents failed; the poll will find them")
				break
			}
			changes.Torrents = append(changes.Torrents, found...)
		}
		return changes
	}
	for _, hash := range hashes {
		t, err := w.Client.Get(ctx, hash)
		if errors.Is(err, ErrNoSuchTorrent) {
			continue
		}
		if err != nil {
			zerolog.Ctx(ctx).Debug().Err(err).Msg("Looking up hooked torrents failed; the poll will find them")
			break
		}
		changes.Torrents = append(changes.Torrents, *t)
	}
	return changes
}
