package torrent

import (
	"context"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/metrics"
)

// checkDoor makes sure, after every connect and whenever a new torrent shows up running, that
// a door-mode client adds new torrents stopped, and closes the door where it is open. It
// reports whether the door is closed. An open door it cannot close leaves seedgate holding
// after the start, as in after_start mode, which it says loudly and checks again at the next
// poll.
func (w *Watcher) checkDoor(ctx context.Context) bool {
	log := zerolog.Ctx(ctx)
	door, ok := w.Client.(Door)
	if !ok {
		metrics.DoorClosed.Set(w.Client.Name(), 0)
		log.Error().Msg("Torrent client cannot be told to add torrents stopped; holds start after the torrent has")
		return false
	}
	closed, err := door.DoorClosed(ctx)
	if err == nil && !closed {
		if err = door.CloseDoor(ctx); err == nil {
			closed, err = door.DoorClosed(ctx)
		}
		if err == nil && closed {
			log.Warn().Str("setting", door.DoorSetting()).
				Msg("Torrent client added new torrents running; told it to add them stopped (set it there too)")
		}
	}
	if err != nil || !closed {
		metrics.DoorClosed.Set(w.Client.Name(), 0)
		// Checked again before every poll until it works; said once, not twice a second.
		if !w.doorOpenSaid {
			w.doorOpenSaid = true
			log.Error().Err(err).Str("setting", door.DoorSetting()).
				Msg("Torrent client adds new torrents running and seedgate could not change it; holds start after the torrent has until the setting is changed")
		}
		return false
	}
	w.doorOpenSaid = false
	metrics.DoorClosed.Set(w.Client.Name(), 1)
	return true
}

// adopt shows the torrents a door-mode client already had when seedgate first met it (a new
// database) to the adopter, which holds what a policy would hold and lists them all in one
// notice. It reports whether the adopter took them; if not, the first sync is not recorded
// and the next poll offers them again.
func (w *Watcher) adopt(ctx context.Context) bool {
	if w.Adopt == nil || len(w.unadopted) == 0 {
		w.unadopted = nil
		return true
	}
	list := make([]Torrent, 0, len(w.unadopted))
	for _, t := range w.unadopted {
		list = append(list, t)
	}
	slices.SortFunc(list, func(a, b Torrent) int { return strings.Compare(a.Hash, b.Hash) })
	if err := w.Adopt(ctx, w.Client.Name(), list); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Int("torrents", len(list)).Msg("Adopting the torrents already in the client failed; will retry")
		return false
	}
	w.unadopted = nil
	return true
}
