package approval

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// postCards shows requests that have no card yet. A policy's first digest_after requests in a
// digest_window get a card each; past that (an RSS batch adding hundreds of torrents) the rest
// wait out the window and share one digest card, approved as a whole or item by item. The
// requests are already stored and their torrents already stopped: only the cards wait. It
// returns when it next needs to run.
func (s *Service) postCards(ctx context.Context, uncarded []*store.Request) time.Time {
	next := s.now().Add(time.Hour)
	byPolicy := map[string][]*store.Request{}
	var order []string
	for _, r := range uncarded {
		if _, seen := byPolicy[r.Policy]; !seen {
			order = append(order, r.Policy)
		}
		byPolicy[r.Policy] = append(byPolicy[r.Policy], r)
	}
	for _, name := range order {
		after, window := s.digestSettings(name)
		now := s.now()
		recent := s.recent[name][:0]
		for _, at := range s.recent[name] {
			if now.Sub(at) < window {
				recent = append(recent, at)
			}
		}
		s.recent[name] = recent
		// Requests that already waited out a window are a burst's backlog: one digest card.
		var waited, fresh []*store.Request
		for _, r := range byPolicy[name] {
			if after > 0 && !now.Before(r.CreatedAt.Add(window)) {
				waited = append(waited, r)
			} else {
				fresh = append(fresh, r)
			}
		}
		if len(waited) > 0 && !s.postCard(ctx, waited) {
			return now.Add(5 * time.Second)
		}
		quota := len(fresh)
		if after > 0 {
			quota = max(0, after-len(s.recent[name]))
		}
		for i, r := range fresh {
			if i >= quota {
				next = minTime(next, r.CreatedAt.Add(window)) // the rest wait for the digest
				break
			}
			if !s.postCard(ctx, []*store.Request{r}) {
				return now.Add(5 * time.Second)
			}
		}
	}
	return next
}

func (s *Service) digestSettings(policy string) (after int, window time.Duration) {
	for _, p := range s.cfg.Policies {
		if p.Name == policy {
			return p.DigestAfter, p.DigestWindow.D()
		}
	}
	return 0, 0
}

// postCard posts one card for one or several requests and records it on each.
// A digest too large for one message is split in halves until each part fits.
func (s *Service) postCard(ctx context.Context, reqs []*store.Request) bool {
	log := zerolog.Ctx(ctx).With().Str("request_id", reqs[0].ID).Int("requests", len(reqs)).Logger()
	for i, r := range reqs {
		r.DigestIndex = 0
		if len(reqs) > 1 {
			r.DigestIndex = i + 1
		}
	}
	roomID, eventID, err := s.notifier.PostCard(ctx, reqs)
	if errors.Is(err, ErrCardTooLarge) && len(reqs) > 1 {
		half := len(reqs) / 2
		return s.postCard(ctx, reqs[:half]) && s.postCard(ctx, reqs[half:])
	}
	metrics.DeliveryAttempts.Inc("matrix")
	if err != nil {
		metrics.DeliveryFailures.Inc("matrix")
		log.Error().Err(err).Msg("Posting card failed; will retry")
		return false
	}
	for _, r := range reqs {
		if err = s.store.SetCard(ctx, r.ID, roomID, eventID, r.DigestIndex); err != nil {
			log.Error().Err(err).Msg("Recording card failed")
			return false
		}
		r.CardRoom, r.CardEvent = roomID, eventID
	}
	s.recent[reqs[0].Policy] = append(s.recent[reqs[0].Policy], s.now())
	if len(reqs) > 1 {
		log.Info().Msg("Posted a digest card")
	}
	return true
}
