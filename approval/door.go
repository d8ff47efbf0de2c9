package approval

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/torrent"
)

// release starts a torrent that a door-mode client added stopped and that no policy holds:
// in door mode the stopped add is the request, and letting it through is seedgate's to do.
// Only a new torrent is started: one the owner stopped later makes no added event, and one
// that came in running or errored is left as it is. A failure is returned, so the watcher
// offers the event again (starting twice is harmless; no policy holds the torrent).
func (s *Service) release(ctx context.Context, evt torrent.Event) error {
	if s.gates[evt.Client] != config.GateDoor || evt.Kind != torrent.EventAdded {
		return nil
	}
	if st := evt.Torrent.State; st != torrent.StateStopped && st != torrent.StateChecking {
		return nil
	}
	client := s.clients[evt.Client]
	if client == nil {
		return fmt.Errorf("approval: unknown client %q", evt.Client)
	}
	if err := client.Start(ctx, evt.Torrent.Hash); err != nil {
		return fmt.Errorf("starting a torrent no policy holds: %w", err)
	}
	zerolog.Ctx(ctx).Info().Str("name", evt.Torrent.Name).Msg("Torrent started: no policy holds it")
	return nil
}

// Adopt takes the torrents a door-mode client already had when seedgate first met it (a new
// database). They are not new, so nothing is started; what runs (or checks or queues, on its
// way to running) and a policy for added torrents would hold is held. One that is stopped or
// errored does nothing, and approving it would start what its owner stopped. All of them are
// listed in one notice, so nothing is adopted unseen. A request for a torrent that was already
// there is left stopped on expiry, never removed: nobody answering is no reason to delete what
// predates seedgate.
func (s *Service) Adopt(ctx context.Context, clientName string, torrents []torrent.Torrent) error {
	if err := s.store.CheckLease(); err != nil {
		return err
	}
	var held []torrent.Torrent
	for _, t := range torrents {
		evt := torrent.Event{Kind: torrent.EventAdded, Client: clientName, Torrent: t, At: s.now()}
		policy, ok := s.cfg.PolicyFor(s.subject(evt))
		if !ok || policy.Outcome == config.OutcomeAnnounce || t.State == torrent.StateStopped || t.State == torrent.StateErrored {
			continue
		}
		policy.OnExpiry = config.ActionKeepStopped
		if err := s.holdAdopted(ctx, policy, evt); err != nil {
			return fmt.Errorf("holding a torrent already in the client: %w", err)
		}
		held = append(held, t)
	}
	if err := s.notifier.AnnounceAdopted(ctx, clientName, torrents, held); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("Announcing the torrents already in the client failed")
	}
	return nil
}

// holdAdopted is hold for a torrent that was there before seedgate, marked so in the audit.
func (s *Service) holdAdopted(ctx context.Context, policy config.Policy, evt torrent.Event) error {
	stopErr := s.clients[evt.Client].Stop(ctx, evt.Torrent.Hash)
	if stopErr != nil {
		zerolog.Ctx(ctx).Error().Err(stopErr).Str("hash", evt.Torrent.Hash).Msg("Stopping held torrent failed")
	}
	req := s.newRequest(policy, string(evt.Kind), actionFor(evt.Kind), evt.Client, evt.Torrent)
	_, err := s.open(ctx, req, map[string]any{"stopped": stopErr == nil, "adopted": true})
	return err
}
