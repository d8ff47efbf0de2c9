package approval

import (
	"context"
	"sync"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/torrent"
)

// prestopped remembers torrents stopped in bulk ahead of their holds, so each hold does not
// stop its torrent again with a call of its own.
type prestopped struct {
	mu     sync.Mutex
	hashes map[string]bool // client + "/" + hash
}

func (p *prestopped) add(client string, hashes []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hashes == nil {
		p.hashes = map[string]bool{}
	}
	for _, h := range hashes {
		p.hashes[client+"/"+h] = true
	}
}

// take reports whether the torrent was stopped in bulk, and forgets it.
func (p *prestopped) take(client, hash string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok := p.hashes[client+"/"+hash]
	delete(p.hashes, client+"/"+hash)
	return ok
}

// PrepareHolds stops, in as few calls as the client allows, every torrent among a poll's
// events that a policy will hold: a burst of a thousand new torrents is stopped in two calls
// instead of a thousand, so none of them runs for long while the others are recorded. The
// watcher calls it before handing the events over one by one.
func (s *Service) PrepareHolds(ctx context.Context, clientName string, events []torrent.Event) {
	if s.store.CheckLease() != nil {
		return // another seedgate may be active: its holds are its own
	}
	many, ok := s.clients[clientName].(torrent.ManyStopper)
	if !ok {
		return
	}
	var hashes []string
	for _, evt := range events {
		policy, ok := s.cfg.PolicyFor(s.subject(evt))
		if ok && policy.Outcome != config.OutcomeAnnounce && evt.Torrent.State != torrent.StateStopped {
			hashes = append(hashes, evt.Torrent.Hash)
		}
	}
	if len(hashes) < 2 {
		return
	}
	if err := many.StopMany(ctx, hashes); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int("torrents", len(hashes)).Msg("Stopping a burst of held torrents at once failed; stopping them one by one")
		return
	}
	s.prestopped.add(clientName, hashes)
	zerolog.Ctx(ctx).Info().Int("torrents", len(hashes)).Msg("Stopped a burst of torrents to hold")
}
