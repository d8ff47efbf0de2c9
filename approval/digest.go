package approval

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// burst is a run of one policy's requests too many for a card each (an RSS batch adding
// hundreds of torrents): one digest card in the room's timeline, its root, and the rest of the
// burst as further digest cards in the root's thread. Its items are numbered 1, 2, … across
// all its cards, so "approve 57 <code>" anywhere in the thread names one item, and a vote on the
// root decides every open item of the burst.
type burst struct {
	root   string    // the first card; "" until it is posted
	items  int       // items shown so far
	lastAt time.Time // when its last card was posted: the burst ends digest_window after
}

// postCards shows requests that have no card yet, at once. A policy's first digest_after
// requests in a digest_window get a card each; past that, a burst begins, and every further
// request of the policy joins it until digest_window passes with none. The requests are
// already stored and their torrents already stopped; a card only shows them.
// It returns when it next needs to run.
func (s *Service) postCards(ctx context.Context, uncarded []*store.Request) time.Time {
	now := s.now()
	byPolicy := map[string][]*store.Request{}
	var order []string
	for _, r := range uncarded {
		if _, seen := byPolicy[r.Policy]; !seen {
			order = append(order, r.Policy)
		}
		byPolicy[r.Policy] = append(byPolicy[r.Policy], r)
	}
	for _, name := range order {
		reqs := byPolicy[name]
		after, window := s.digestSettings(name)
		if b := s.bursts[name]; b != nil && now.Sub(b.lastAt) >= window {
			delete(s.bursts, name)
		}
		if s.bursts[name] == nil {
			quota := len(reqs)
			if after > 0 {
				quota = max(0, after-s.cardsPostedWithin(name, window))
			}
			for quota > 0 && len(reqs) > 0 {
				if !s.postSingle(ctx, reqs[0]) {
					return now.Add(5 * time.Second)
				}
				reqs, quota = reqs[1:], quota-1
			}
			if len(reqs) == 0 {
				continue
			}
			s.bursts[name] = &burst{}
		}
		if !s.postBurst(ctx, s.bursts[name], reqs) {
			return now.Add(5 * time.Second)
		}
	}
	return now.Add(time.Hour)
}

// cardsPostedWithin counts the cards of their own the policy's requests got in the last window.
func (s *Service) cardsPostedWithin(policy string, window time.Duration) int {
	now := s.now()
	recent := s.recent[policy][:0]
	for _, at := range s.recent[policy] {
		if now.Sub(at) < window {
			recent = append(recent, at)
		}
	}
	s.recent[policy] = recent
	return len(recent)
}

func (s *Service) digestSettings(policy string) (after int, window time.Duration) {
	for _, p := range s.cfg.Policies {
		if p.Name == policy {
			return p.DigestAfter, p.DigestWindow.D()
		}
	}
	return 0, 0
}

// postSingle posts a card for one request and records it.
func (s *Service) postSingle(ctx context.Context, req *store.Request) bool {
	req.DigestIndex = 0
	posted, ok := s.post(ctx, []*store.Request{req}, "")
	if !ok {
		return false
	}
	// Logged before the card is recorded: the line's time is when the homeserver answered
	// the send, which the bench reads as the end of event -> card.
	zerolog.Ctx(ctx).Info().Str("request_id", req.ID).Str("event_id", posted.Event).Msg("Posted a card")
	if !s.recordCard(ctx, posted, []*store.Request{req}, "") {
		return false
	}
	s.recent[req.Policy] = append(s.recent[req.Policy], s.now())
	return true
}

// postBurst adds reqs to a burst: the first card is its root, in the room's timeline; every
// further card goes into the root's thread. Each card carries as many items as fit.
func (s *Service) postBurst(ctx context.Context, b *burst, reqs []*store.Request) bool {
	for len(reqs) > 0 {
		for i, r := range reqs {
			r.DigestIndex = b.items + i + 1
		}
		posted, ok := s.post(ctx, reqs, b.root)
		if !ok {
			return false
		}
		shown := reqs[:posted.Count]
		root, ours := b.root, true
		switch {
		case posted.Thread != "" && posted.Thread != b.root:
			// A card the last run posted in an earlier burst's thread and did not record: it
			// stays that burst's, with the numbers it shows.
			root, ours = posted.Thread, false
		case root == "":
			root = posted.Event
		}
		// The burst moves on only once the card is recorded: a retry must draw the same card.
		if !s.recordCard(ctx, posted, shown, root) {
			return false
		}
		if ours {
			b.root = root
			b.items += posted.Count
		}
		b.lastAt = s.now()
		reqs = reqs[posted.Count:]
		zerolog.Ctx(ctx).Info().Str("request_id", shown[0].ID).Int("requests", len(shown)).Str("digest", root).
			Bool("in_thread", posted.Event != root).Msg("Posted a digest card")
	}
	return true
}

// post shows reqs (or as many of them as fit) on one card.
func (s *Service) post(ctx context.Context, reqs []*store.Request, thread string) (Posted, bool) {
	metrics.DeliveryAttempts.Inc("matrix")
	posted, err := s.notifier.PostCard(ctx, reqs, thread)
	if err == nil && (posted.Count < 1 || posted.Count > len(reqs)) {
		err = fmt.Errorf("approval: the notifier says its card shows %d of %d requests", posted.Count, len(reqs))
	}
	if err != nil {
		metrics.DeliveryFailures.Inc("matrix")
		zerolog.Ctx(ctx).Error().Err(err).Str("request_id", reqs[0].ID).Int("requests", len(reqs)).Msg("Posting card failed; will retry")
		return posted, false
	}
	return posted, true
}

// recordCard records where each of reqs is shown. digest is the burst's root ("" for a card
// of its own).
func (s *Service) recordCard(ctx context.Context, posted Posted, reqs []*store.Request, digest string) bool {
	if err := s.store.SetCard(ctx, store.Card{Room: posted.Room, Event: posted.Event, Digest: digest}, reqs...); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("request_id", reqs[0].ID).Int("requests", len(reqs)).Msg("Recording card failed")
		return false
	}
	for _, r := range reqs {
		r.CardRoom, r.CardEvent, r.DigestEvent = posted.Room, posted.Event, digest
	}
	s.changes.notify()
	return true
}
