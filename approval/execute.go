package approval

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// execute runs a decided request's action once. The move to executing is a compare-and-set;
// a request found already executing (a crash mid-action) runs its action again, which is safe
// because every action is idempotent on the client (resuming a running torrent, stopping a
// stopped one, removing a removed one change nothing).
func (s *Service) execute(ctx context.Context, req *store.Request) error {
	// A request already executing runs again without a write that the lease fences, so a
	// seedgate that may have lost the lease touches no torrent here.
	if err := s.store.CheckLease(); err != nil {
		return err
	}
	log := zerolog.Ctx(ctx).With().Str("request_id", req.ID).Str("outcome", req.Outcome).Logger()
	if req.State != store.RequestExecuting {
		var ok bool
		err := s.store.Txn(ctx, func(ctx context.Context) error {
			var err error
			ok, err = s.store.TransitionRequest(ctx, req.ID, store.Transition{From: store.RequestDecided, To: store.RequestExecuting})
			if err != nil || !ok {
				return err
			}
			return s.store.AppendAudit(ctx, "action_started", req.ID, map[string]any{"outcome": req.Outcome, "decision": req.State})
		})
		if err != nil || !ok {
			return err
		}
		req.State = store.RequestExecuting
	}
	actErr := s.act(ctx, req)
	if actErr != nil && !errors.Is(actErr, errPermanent) {
		return actErr
	}
	to, errText := store.RequestDone, ""
	if actErr != nil {
		to, errText = store.RequestFailed, actErr.Error()
	}
	now := s.now()
	err := s.store.Txn(ctx, func(ctx context.Context) error {
		ok, err := s.store.TransitionRequest(ctx, req.ID, store.Transition{
			From: []store.RequestState{store.RequestExecuting}, To: to, Error: errText, FinishedAt: now,
		})
		if err != nil || !ok {
			return err
		}
		return s.store.AppendAudit(ctx, "action_"+string(to), req.ID, map[string]any{"outcome": req.Outcome, "error": errText})
	})
	if err != nil {
		return err
	}
	req.State, req.Error, req.FinishedAt = to, errText, now
	log.Info().Str("state", string(to)).Msg("Decision carried out")
	s.changes.notify()
	votes, _ := s.store.ListVotes(ctx, req.ID)
	if err = s.notifier.UpdateCard(ctx, req, votes); err != nil {
		log.Warn().Err(err).Msg("Updating card after decision failed")
	}
	return nil
}

// errPermanent marks action failures that retrying cannot fix.
var errPermanent = errors.New("cannot be retried")

func (s *Service) act(ctx context.Context, req *store.Request) error {
	client := s.clients[req.Client]
	if client == nil {
		return fmt.Errorf("client %q is no longer configured: %w", req.Client, errPermanent)
	}
	var err error
	switch req.Outcome {
	case config.ActionNone:
		return nil
	case config.ActionResume:
		err = client.Start(ctx, req.TorrentHash)
	case config.ActionKeepStopped:
		err = client.Stop(ctx, req.TorrentHash)
	case config.ActionRemove, config.ActionRemoveWithData:
		err = client.Remove(ctx, req.TorrentHash, req.Outcome == config.ActionRemoveWithData)
		if errors.Is(err, torrent.ErrNoSuchTorrent) {
			return nil // already gone: the outcome holds
		}
	default:
		return fmt.Errorf("unknown outcome %q: %w", req.Outcome, errPermanent)
	}
	if errors.Is(err, torrent.ErrNoSuchTorrent) {
		return fmt.Errorf("torrent %s is no longer in %s: %w", req.TorrentHash, req.Client, errPermanent)
	}
	return err
}
