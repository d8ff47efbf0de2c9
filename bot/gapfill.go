package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// gapFillingSyncer is mautrix's syncer, except that it never skips room events. A /sync
// answer carries at most a few dozen events per room; when more happened since the last one
// (seedgate was down or busy, a burst of cards and votes) the room's timeline is "limited" and
// the rest must be fetched. Skipping them would drop votes, so before the batch is handled the
// gap is read with /messages, back from the timeline's start to where the last sync ended,
// and handled first, in order.
type gapFillingSyncer struct {
	*mautrix.DefaultSyncer
	client *mautrix.Client
}

// maxGapEvents bounds one room's gap: after a long outage the oldest events are left, with a
// warning, rather than holding up everything that came after them. Cards expire in minutes.
const maxGapEvents = 5000

func newGapFillingSyncer(cli *mautrix.Client) *gapFillingSyncer {
	return &gapFillingSyncer{DefaultSyncer: mautrix.NewDefaultSyncer(), client: cli}
}

// ProcessResponse fills each limited room's gap, then hands the batch to mautrix's syncer.
func (s *gapFillingSyncer) ProcessResponse(ctx context.Context, res *mautrix.RespSync, since string) error {
	if since != "" {
		for roomID, room := range res.Rooms.Join {
			if !room.Timeline.Limited || room.Timeline.PrevBatch == "" {
				continue
			}
			gap, err := s.readGap(ctx, roomID, room.Timeline.PrevBatch, since)
			if err != nil {
				// Fail the batch: mautrix retries the same sync, and no event is skipped.
				return fmt.Errorf("bot: reading the events /sync left out in %s: %w", roomID, err)
			}
			room.Timeline.Events = append(gap, room.Timeline.Events...)
		}
	}
	return s.DefaultSyncer.ProcessResponse(ctx, res, since)
}

// readGap returns the room's events between since and from, oldest first.
func (s *gapFillingSyncer) readGap(ctx context.Context, roomID id.RoomID, from, since string) ([]*event.Event, error) {
	var gap []*event.Event
	for from != "" && len(gap) < maxGapEvents {
		page, err := s.client.Messages(ctx, roomID, from, since, mautrix.DirectionBackward, nil, 100)
		if err != nil {
			return nil, err
		}
		gap = append(gap, page.Chunk...)
		if len(page.Chunk) == 0 || page.End == from {
			break
		}
		from = page.End
	}
	if len(gap) >= maxGapEvents {
		zerolog.Ctx(ctx).Warn().Stringer("room_id", roomID).Int("events", len(gap)).Msg("Gap since the last sync too long; older events left out")
	}
	slices.Reverse(gap)
	zerolog.Ctx(ctx).Debug().Stringer("room_id", roomID).Int("events", len(gap)).Msg("Filled a gap in the room's timeline")
	return gap, nil
}
