package approval

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// EnforceHold stops a torrent again that runs while its request is still pending: the client
// came back from a crash without the stop (its resume data was older), or someone resumed it
// by hand. A hold lasts until the decision, whatever the client does meanwhile. The watcher
// calls it whenever a torrent starts running.
func (s *Service) EnforceHold(ctx context.Context, clientName string, t torrent.Torrent) {
	if s.store.CheckLease() != nil {
		return // another seedgate may be active, and may have approved this torrent since
	}
	log := zerolog.Ctx(ctx).With().Str("client", clientName).Str("hash", t.Hash).Str("state", t.RawState).Logger()
	req, err := s.store.FindHeldRequest(ctx, clientName, t.Hash)
	if errors.Is(err, store.ErrNotFound) {
		return
	} else if err != nil {
		log.Error().Err(err).Msg("Checking whether a running torrent is held failed")
		return
	}
	client := s.clients[clientName]
	if client == nil {
		return
	}
	if policy, ok := s.cfg.PolicyNamed(req.Policy); ok && t.State == torrent.StateMetadata && fetchesMetadata(policy, t) {
		return // fetching its metadata, as its policy asks; stopped once that is in
	}
	log = log.With().Str("request_id", req.ID).Logger()
	stopErr := client.Stop(ctx, t.Hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.store.Txn(ctx, func(ctx context.Context) error {
		return s.store.AppendAudit(ctx, "hold_reapplied", req.ID, map[string]any{
			"client": clientName, "hash": t.Hash, "state_seen": t.RawState, "stopped": stopErr == nil,
		})
	})
	switch {
	case stopErr != nil:
		log.Error().Err(stopErr).Msg("Held torrent is running and stopping it again failed")
	case err != nil:
		log.Error().Err(err).Msg("Recording a re-applied hold failed")
	default:
		log.Warn().Msg("Held torrent was running; stopped it again")
	}
}
