package approval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/torrent"
)

// announcementBatch is how many waiting notices one round of the run loop posts.
const announcementBatch = 50

// enqueueAnnouncement records a notice an announce-only policy asks for and wakes the run loop
// to post it.
func (s *Service) enqueueAnnouncement(ctx context.Context, policy string, evt torrent.Event) error {
	payload, err := json.Marshal(evt)
	if err != nil {
		return fmt.Errorf("announcing %s: encode: %w", evt.Kind, err)
	}
	if _, err = s.store.EnqueueAnnouncement(ctx, policy, string(payload), s.now()); err != nil {
		return fmt.Errorf("announcing %s: %w", evt.Kind, err)
	}
	s.poke()
	return nil
}

// postAnnouncements posts the waiting notices oldest first, each marked once the homeserver
// took it; the first that fails stops the round, so none overtakes another. It returns when to
// come back.
func (s *Service) postAnnouncements(ctx context.Context) time.Time {
	log := zerolog.Ctx(ctx)
	waiting, err := s.store.UnpostedAnnouncements(ctx, announcementBatch)
	if err != nil {
		log.Error().Err(err).Msg("Listing announcements failed")
		return s.now().Add(5 * time.Second)
	}
	for _, a := range waiting {
		var evt torrent.Event
		if err = json.Unmarshal([]byte(a.Payload), &evt); err != nil {
			// Written by this code, so never expected; a notice that cannot be read must not
			// hold up the others.
			log.Error().Err(err).Str("announcement", a.ID).Msg("Dropping an unreadable announcement")
			_ = s.store.MarkAnnouncementPosted(ctx, a.ID, s.now())
			continue
		}
		if err = s.notifier.Announce(ctx, a.Policy, evt, "sg-announce-"+a.ID); err != nil {
			log.Warn().Err(err).Str("announcement", a.ID).Msg("Posting an announcement failed; will retry")
			return s.now().Add(5 * time.Second)
		}
		if err = s.store.MarkAnnouncementPosted(ctx, a.ID, s.now()); err != nil {
			log.Error().Err(err).Str("announcement", a.ID).Msg("Recording a posted announcement failed; it is posted again, under the same transaction id")
			return s.now().Add(5 * time.Second)
		}
	}
	if len(waiting) == announcementBatch {
		return s.now() // more wait
	}
	return s.now().Add(time.Hour)
}
