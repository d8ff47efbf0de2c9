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

// reevaluate runs when a held torrent's metadata arrives (a magnet's name, size and trackers
// become known). The hold was opened on what was known then, and unknown facts count toward a
// hold, so now the policies are asked again, as for the torrent's addition, with the real facts:
//   - a hold policy still matches: the request stays as it is (never loosened), with the real
//     name and size on its card;
//   - no hold policy matches any more: the hold existed only because the facts were unknown,
//     and the owner's own policies would not have held this torrent, so the request is decided
//     approved "by policy" and its approve action runs, as for any decision.
//
// It reports whether a request was re-evaluated.
func (s *Service) reevaluate(ctx context.Context, evt torrent.Event) (bool, error) {
	if evt.Kind != torrent.EventMetadataReceived || !evt.Torrent.MetadataKnown() {
		return false, nil
	}
	req, err := s.store.FindOpenRequest(ctx, evt.Client, evt.Torrent.Hash, string(torrent.EventAdded), actionFor(torrent.EventAdded))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	added := evt
	added.Kind = torrent.EventAdded
	policy, ok := s.cfg.PolicyFor(s.subject(added))
	holds := ok && policy.Outcome == config.OutcomeHold
	log := zerolog.Ctx(ctx).With().Str("request_id", req.ID).Bool("still_held", holds).Logger()
	s.mu.Lock()
	err = s.store.Txn(ctx, func(ctx context.Context) error {
		if err := s.store.SetRequestFacts(ctx, req.ID, evt.Torrent.Name, evt.Torrent.Size); err != nil {
			return err
		}
		req.TorrentName, req.TorrentSize = evt.Torrent.Name, evt.Torrent.Size
		data := map[string]any{"name": evt.Torrent.Name, "size": evt.Torrent.Size, "tracker": evt.Torrent.Tracker, "still_held": holds}
		if ok {
			data["policy_now"] = policy.Name
		}
		if err := s.store.AppendAudit(ctx, "request_reevaluated", req.ID, data); err != nil {
			return err
		}
		if holds {
			return nil
		}
		by := "no policy"
		if ok {
			by = "policy " + policy.Name
		}
		by += " (metadata known)"
		now := s.now()
		moved, err := s.store.TransitionRequest(ctx, req.ID, store.Transition{
			From: []store.RequestState{store.RequestPending}, To: store.RequestApproved, Verdict: store.RequestApproved, DecidedBy: by, Outcome: req.OnApprove, DecidedAt: now,
		})
		if err != nil || !moved {
			return err
		}
		req.State, req.Verdict, req.DecidedBy, req.Outcome, req.DecidedAt = store.RequestApproved, store.RequestApproved, by, req.OnApprove, now
		return s.store.AppendAudit(ctx, "request_approved", req.ID, map[string]any{"by": []string{by}, "outcome": req.OnApprove})
	})
	s.mu.Unlock()
	if err != nil {
		return true, fmt.Errorf("approval: re-evaluating %s on its metadata: %w", req.ID, err)
	}
	log.Info().Msg("Held torrent re-evaluated on its metadata")
	if holds {
		votes, _ := s.store.ListVotes(ctx, req.ID)
		if err := s.notifier.UpdateCard(ctx, req, votes); err != nil {
			log.Warn().Err(err).Msg("Updating card after metadata failed")
		}
	}
	if !holds {
		s.poke() // the run loop carries out the approval and redraws the card
	}
	s.changes.notify()
	return true, nil
}

// fetchesMetadata reports whether a held torrent runs until its metadata arrives: a magnet
// without it, under a policy with metadata: fetch_first.
func fetchesMetadata(policy config.Policy, t torrent.Torrent) bool {
	return policy.Metadata == config.MetadataFetchFirst && !t.MetadataKnown()
}

// fetchMetadata starts a held magnet so it fetches its metadata, as its policy asks; once the
// metadata is in, the torrent leaves the metadata state and EnforceHold stops it. If the start
// fails, the torrent is decided on what is known: failing to fetch never lets a torrent
// through. (The start is confirmed by a look-up after it, so a failed look-up can follow a
// start that took; the torrent then fetches, as its policy allows, and is stopped as above.)
func (s *Service) fetchMetadata(ctx context.Context, client torrent.Client, t torrent.Torrent) {
	log := zerolog.Ctx(ctx)
	if err := client.Start(ctx, t.Hash); err != nil {
		log.Error().Err(err).Msg("Starting a held magnet to fetch its metadata failed; it is decided on what is known")
		return
	}
	log.Info().Msg("Held magnet started to fetch its metadata (metadata: fetch_first)")
}
