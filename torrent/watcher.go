package torrent

import (
	"context"
	"errors"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/backoff"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// Handler receives the watcher's events. It must be idempotent for a given torrent and kind:
// after a crash between handling and persisting, the event is handled again.
//
// An error says the event was not taken (a database write failed): the watcher offers it
// again with the next poll.
type Handler func(ctx context.Context, evt Event) error

// Watcher polls one client and emits typed events, each once, across restarts of either side.
type Watcher struct {
	Client   Client
	Store    *store.Store
	Interval time.Duration
	Handle   Handler
	// Running, when set, is told whenever a torrent it knew starts running (downloading,
	// seeding or fetching metadata) from any other state, events or not: a torrent first seen
	// checking and then running makes no event, yet a held torrent must not run. The approval
	// service re-applies its holds from here.
	Running func(ctx context.Context, client string, t Torrent)
	// Arriving, when set, is shown all of a poll's events before they are handled one by one,
	// so the handler can do in bulk what it would otherwise do per event: a burst of new
	// torrents is stopped in one call, not one call each.
	Arriving func(ctx context.Context, client string, events []Event)
	// Door says the client is in door mode: it must add new torrents stopped, which the
	// watcher checks (and sets) after every connect.
	Door bool
	// Adopt, when set, is shown every torrent a door-mode client already had when seedgate
	// first synced with it (a new database), instead of adopting them silently.
	Adopt func(ctx context.Context, client string, torrents []Torrent) error

	known map[string]seen
	// unadopted holds, in door mode until the first sync is adopted, every torrent that sync
	// found, as the client reported it: known keeps too little for the adopter's policies.
	unadopted map[string]Torrent
	retry     map[string]*Torrent // torrents whose events a handler refused, as last seen; nil: removed
	retryAt   time.Time           // when refused events are next offered again
	retryGap  backoff.Backoff     // how long after a refusal; doubles while refusals go on
	poke      chan struct{}
	hintsMu   sync.Mutex
	hints     map[string]bool // torrents hooks named since the last look (hints.go)
	lastTook  time.Duration   // how long the previous poll took, for the back-off
	// doorDue asks for the door to be checked before the next poll: after a connect, after
	// a new torrent showed up running, and while it could not be closed.
	doorDue      bool
	doorOpenSaid bool // the door could not be closed, and the log said so
}

// NewWatcher returns a watcher of one client.
func NewWatcher(client Client, st *store.Store, interval time.Duration, handle Handler) *Watcher {
	return &Watcher{Client: client, Store: st, Interval: interval, Handle: handle, poke: make(chan struct{}, 1)}
}

// Poke makes the watcher poll now instead of at its next interval: a client's hook says
// something happened. The poll's diff, not the hook, makes the events, so a hook and a poll
// that see the same change produce one event.
func (w *Watcher) Poke() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// baselineKey marks that a client's torrents were recorded once, so the first run of seedgate
// against a client that already has torrents does not announce them all as added.
func baselineKey(client string) string { return "watcher/" + client + "/baseline" }

// Run polls until ctx ends. Connection failures are retried with back-off; they never produce
// events.
func (w *Watcher) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Str("component", "watcher").Str("client", w.Client.Name()).Logger()
	ctx = log.WithContext(ctx)
	states, err := w.Store.LoadTorrentStates(ctx, w.Client.Name())
	if err != nil {
		return err
	}
	w.remember(states)
	baseline, err := w.Store.GetKV(ctx, baselineKey(w.Client.Name()))
	if err != nil {
		return err
	}
	var reconnect backoff.Backoff
	connected := false
	for {
		if !connected {
			if err = w.Client.Connect(ctx); err != nil {
				metrics.TorrentClientUp.Set(w.Client.Name(), 0)
				delay := reconnect.Next()
				log.Error().Err(err).Dur("retry_in", delay).Msg("Torrent client unreachable")
				if !backoff.Sleep(ctx, delay) {
					return ctx.Err()
				}
				continue
			}
			connected = true
			metrics.TorrentClientUp.Set(w.Client.Name(), 1)
			w.doorDue = w.Door
			log.Info().Str("version", w.Client.Version()).Msg("Connected to torrent client")
		}
		if w.doorDue {
			w.doorDue = !w.checkDoor(ctx)
		}
		if hinted := w.takeHints(); len(hinted) > 0 && baseline != "" {
			lookStart := time.Now()
			found := w.lookUp(ctx, hinted)
			log.Debug().Int("asked", len(hinted)).Int("found", len(found.Torrents)).Dur("took", time.Since(lookStart)).Msg("Looked up the torrents hooks named")
			if len(found.Torrents) > 0 {
				if err = w.apply(ctx, found, false); err != nil {
					log.Error().Err(err).Msg("Recording torrent changes failed")
				}
			}
		}
		pollStart := time.Now()
		changes, err := w.poll(ctx)
		pollTook := time.Since(pollStart)
		if pollTook > slowPoll {
			log.Debug().Dur("took", pollTook).Msg("Torrent client was slow to answer a poll")
		}
		if changes != nil {
			pollTook -= changes.Waited
		}
		metrics.WatcherPolls.Inc(w.Client.Name())
		if errors.Is(err, errPollInterrupted) {
			continue // a hook said something happened: look now
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			metrics.WatcherPollErrors.Inc(w.Client.Name())
			metrics.TorrentClientUp.Set(w.Client.Name(), 0)
			delay := reconnect.Next()
			log.Warn().Err(err).Dur("retry_in", delay).Msg("Polling torrent client failed")
			connected = !errors.Is(err, ErrAuth)
			if !backoff.Sleep(ctx, delay) {
				return ctx.Err()
			}
			continue
		}
		reconnect.Reset()
		metrics.TorrentClientUp.Set(w.Client.Name(), 1)
		metrics.WatcherPollBytes.Add(float64(changes.Bytes), w.Client.Name())
		foundNew := w.hasNew(changes)
		err = w.apply(ctx, changes, baseline == "")
		if changes.Full && changes.Bytes > bigSync {
			debug.FreeOSMemory()
		}
		if err != nil {
			log.Error().Err(err).Msg("Recording torrent changes failed")
		} else if baseline == "" && (!w.Door || w.adopt(ctx)) {
			baseline = time.Now().UTC().Format(time.RFC3339)
			if err = w.Store.SetKV(ctx, baselineKey(w.Client.Name()), baseline); err != nil {
				log.Error().Err(err).Msg("Recording watcher baseline failed")
			} else {
				// The first run announces nothing that was already there; from here on it does.
				log.Info().Int("torrents", len(w.known)).Msg("Existing torrents recorded as the baseline")
			}
		}
		if !w.wait(ctx, w.pause(pollTook, foundNew)) {
			return ctx.Err()
		}
	}
}

// bigSync is a full list large enough (about 10,000 qBittorrent torrents) that the heap
// decoding and recording it left behind is handed back to the system at once. Go would only do
// so minutes later (its periodic collection, then the scavenger's pace): at rest with 100,000
// torrents seedgate held over twice its working memory that long. The cost is one collection,
// after a poll that took seconds.
const bigSync = 16 << 20

// slowPoll is a poll long enough to say so in the debug log.
const slowPoll = 250 * time.Millisecond

// pollShare is the most of a client's time polls may take: a client that needs long to
// answer (qBittorrent spends about 0.9 s of CPU on an idle sync/maindata with 10,000 torrents
// on two cores) is polled less often than configured, so seedgate never keeps it busy. Hooks
// still make the watcher look at once.
const pollShare = 10

// pause is how long to wait after a poll that took took. It backs off only when this poll and
// the one before were both slow: one slow poll (a reconnect, a timeout) says nothing about the
// client's load. Nor does it back off after a poll that found new torrents: a client adding a
// batch is slow to answer because it is adding, more of the batch is on its way, and its hooks
// have already fired (backing off there left a batch of 250 unseen for 5 s).
func (w *Watcher) pause(took time.Duration, foundNew bool) time.Duration {
	slow := min(took, w.lastTook)
	w.lastTook = took
	if foundNew {
		return w.Interval
	}
	return max(w.Interval, pollShare*slow)
}

// hasNew reports whether changes hold a torrent the watcher has not seen before.
func (w *Watcher) hasNew(changes *Changes) bool {
	for _, t := range changes.Torrents {
		if _, ok := w.known[t.Hash]; !ok {
			return true
		}
	}
	return false
}

// wait sleeps for d, or until a hook pokes the watcher.
func (w *Watcher) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-w.poke:
	}
	return true
}

// apply turns one poll's changes into events, hands them on, then persists the new state.
// silent records the state without events (the very first sync against a client). A torrent
// whose event a handler could not take (its database write failed) keeps its old state, here
// and on disk, and is tried again with the next poll: its events are not lost, and the state
// seedgate remembers never runs ahead of what it acted on.
func (w *Watcher) apply(ctx context.Context, changes *Changes, silent bool) error {
	if w.retry == nil {
		w.retry = map[string]*Torrent{}
	}
	changes = w.withRetries(changes)
	now := time.Now()
	var upserts []*store.TorrentState
	var removed []string
	var started []Torrent
	var throughOpenDoor []Torrent  // new torrents seen running in door mode
	events := map[string][]Event{} // by hash, in the order they happened
	var order []string
	reported := map[string]bool{}
	settled := make([]Torrent, 0, len(changes.Torrents))
	for _, cur := range changes.Torrents {
		reported[cur.Hash] = true
		prev := w.previous(cur.Hash)
		cur = settle(prev, cur)
		settled = append(settled, cur)
		if prev != nil && seenOf(*prev) == seenOf(cur) {
			continue
		}
		for _, kind := range diffEvents(prev, cur) {
			if events[cur.Hash] == nil {
				order = append(order, cur.Hash)
			}
			events[cur.Hash] = append(events[cur.Hash], Event{Kind: kind, Client: w.Client.Name(), Torrent: cur, At: now})
		}
		if prev != nil && prev.State != cur.State && cur.State.Running() {
			started = append(started, cur)
		}
		if prev == nil && !silent && w.Door && cur.State.Running() {
			throughOpenDoor = append(throughOpenDoor, cur)
		}
		if prev == nil || prev.State != cur.State || prev.Progress != cur.Progress || prev.Name != cur.Name || prev.Size != cur.Size {
			upserts = append(upserts, &store.TorrentState{Hash: cur.Hash, Name: cur.Name, State: string(cur.State), Size: cur.Size, Progress: cur.Progress})
		}
	}
	gone := changes.Removed
	if changes.Full {
		for hash := range w.known {
			if !reported[hash] {
				gone = append(gone, hash)
			}
		}
	}
	for _, hash := range gone {
		prev := w.previous(hash)
		if prev == nil {
			continue
		}
		order = append(order, hash)
		events[hash] = []Event{{Kind: EventRemoved, Client: w.Client.Name(), Torrent: *prev, At: now}}
		removed = append(removed, hash)
	}
	if len(throughOpenDoor) > 0 {
		// The door was opened, or the adder asked to start explicitly (qBittorrent,
		// Transmission and Deluge let an API caller override the default): these holds come
		// after the start, as in after_start mode. Look at the door again.
		w.doorDue = true
		zerolog.Ctx(ctx).Warn().Int("torrents", len(throughOpenDoor)).Str("hash", throughOpenDoor[0].Hash).Str("name", throughOpenDoor[0].Name).
			Msg("New torrents came in running although the client should add torrents stopped; set their adder to add torrents paused")
	}
	failed := map[string]bool{}
	if !silent {
		failed = w.handle(ctx, order, events)
		if w.Running != nil {
			for _, t := range started {
				w.Running(ctx, w.Client.Name(), t)
			}
		}
	}
	upserts = slices.DeleteFunc(upserts, func(t *store.TorrentState) bool { return failed[t.Hash] })
	removed = slices.DeleteFunc(removed, func(hash string) bool { return failed[hash] })
	if err := w.Store.SaveTorrentStates(ctx, w.Client.Name(), upserts, removed); err != nil {
		return err
	}
	for _, cur := range settled {
		if failed[cur.Hash] {
			t := cur
			w.retry[cur.Hash] = &t
			continue
		}
		delete(w.retry, cur.Hash)
		w.known[cur.Hash] = seenOf(cur)
		if silent && w.Door && w.Adopt != nil {
			if w.unadopted == nil {
				w.unadopted = map[string]Torrent{}
			}
			w.unadopted[cur.Hash] = cur
		}
	}
	for _, hash := range gone {
		if failed[hash] {
			w.retry[hash] = nil
			continue
		}
		delete(w.retry, hash)
		delete(w.known, hash)
		delete(w.unadopted, hash)
	}
	w.backOffRetries(len(failed) > 0)
	return nil
}

// handle hands each torrent's events on in order, and returns the torrents for which a
// handler failed; their later events wait too, so they are never taken out of order.
func (w *Watcher) handle(ctx context.Context, order []string, events map[string][]Event) map[string]bool {
	failed := map[string]bool{}
	if w.Arriving != nil && len(order) > 1 {
		var all []Event
		for _, hash := range order {
			all = append(all, events[hash]...)
		}
		w.Arriving(ctx, w.Client.Name(), all)
	}
	for _, hash := range order {
		for _, evt := range events[hash] {
			log := zerolog.Ctx(ctx).With().Str("event", string(evt.Kind)).Str("hash", hash).Logger()
			log.Debug().Msg("Torrent event")
			metrics.WatcherEvents.Inc(evt.Client, string(evt.Kind))
			if err := w.Handle(ctx, evt); err != nil {
				log.Error().Err(err).Dur("retry_in", w.retryGap.Peek()).Msg("Handling torrent event failed; will retry")
				failed[hash] = true
				break
			}
		}
	}
	return failed
}

// backOffRetries moves the next retry out after a poll in which a handler refused an event,
// and starts over once nothing waits any more. Refused events are offered again after a
// second, then twice as long each time they are refused again, up to a minute: a full disk is
// not fixed in a poll interval, and the torrents stay stopped meanwhile.
func (w *Watcher) backOffRetries(refused bool) {
	if !refused {
		if len(w.retry) == 0 {
			w.retryGap.Reset()
		}
		return
	}
	w.retryAt = time.Now().Add(w.retryGap.Next())
}

// withRetries adds the torrents whose events failed last time to a poll's changes, as last
// seen, unless the poll reports them itself. A full list needs nothing added: comparing it
// with the remembered state finds the same events again.
func (w *Watcher) withRetries(changes *Changes) *Changes {
	if len(w.retry) == 0 || time.Now().Before(w.retryAt) {
		return changes
	}
	if changes.Full {
		clear(w.retry)
		return changes
	}
	reported := map[string]bool{}
	for _, t := range changes.Torrents {
		reported[t.Hash] = true
	}
	for _, hash := range changes.Removed {
		reported[hash] = true
	}
	merged := *changes
	merged.Torrents = slices.Clone(changes.Torrents)
	merged.Removed = slices.Clone(changes.Removed)
	for hash, t := range w.retry {
		switch {
		case reported[hash]:
		case t == nil:
			merged.Removed = append(merged.Removed, hash)
		default:
			merged.Torrents = append(merged.Torrents, *t)
		}
	}
	return &merged
}
