package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// burstResult is what a burst of added torrents did, and what seedgate then cost at rest.
type burstResult struct {
	burst, watched     int
	addTook, heldAfter time.Duration
	// listedAfter is when qBittorrent first listed every torrent of the burst, cardedAfter
	// when the homeserver stamped the last card that showed one first, both from the first add.
	listedAfter, cardedAfter time.Duration
	readableAfter            time.Duration // when the approver could read the last of those cards
	held, carded             int
	started                  int // torrents of the burst seen transferring before any vote
	cards, digests           int
	timeline, inThread       int // the bot's cards in the room's timeline, and in a digest's thread
	botMessages              int
	pollInterval             string
	rest                     *restResult // seedgate at rest after the burst
}

// burstStatePoll is how often the burst asks qBittorrent for every torrent's state. Each ask
// lists all 10,000 on qBittorrent's main thread, where seedgate's own polls wait behind it: asked
// every 20 ms, the bench slowed what it measured.
const burstStatePoll = 100 * time.Millisecond

// burstDigestAfter and burstDigestWindow are the burst policy's digest_after and
// digest_window, as config.example.yaml has them (the window is also the default).
const (
	burstDigestAfter  = 3
	burstDigestWindow = time.Minute
)

// measureBurst preloads qBittorrent (the watcher's silent baseline), adds a burst of torrents
// as an RSS rule does (qBittorrent's setting decides whether they start: door mode set it to
// stopped), and waits until every one is listed, stopped and on a card; then it leaves the
// stack idle and measures it at rest (measureRest).
func measureBurst(ctx context.Context, tools *stack.Tools, dir string, preload, burst int, idle time.Duration) (*burstResult, error) {
	const pollInterval = "500ms" // the configuration's default
	progress("preloading qBittorrent with %d stopped torrents", preload)
	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Approvers: []string{"alice"}, Hooks: true, Metrics: true, Profiling: true, PollInterval: pollInterval,
		DigestAfter: burstDigestAfter, TTL: 10 * time.Minute, Preload: func(ctx context.Context, qb *stack.QBittorrent) error {
			return addMany(ctx, qb, "preload", preload, true)
		}})
	if err != nil {
		return nil, err
	}
	defer s.Down()
	qb, err := s.QB.Session(ctx)
	if err != nil {
		return nil, err
	}
	files, err := makeTorrents("burst", burst)
	if err != nil {
		return nil, err
	}
	res := &burstResult{burst: burst, watched: preload + burst, pollInterval: pollInterval}

	progress("adding %d torrents at once, as qBittorrent is set to add them, each firing its on-added hook", burst)
	start := time.Now()
	for from := 0; from < burst; from += 250 {
		if err = addRetrying(ctx, func() error { return qb.AddBatchAsConfigured(ctx, files[from:min(from+250, burst)]) }); err != nil {
			return nil, err
		}
	}
	res.addTook = time.Since(start)
	want := map[string]bool{}
	for _, tf := range files {
		want[tf.Hash] = true
	}
	running := map[string]bool{}
	for {
		states, err := qb.States(ctx, "")
		if err != nil {
			return nil, err
		}
		listed := 0
		res.held = 0
		for hash := range want {
			state, ok := states[hash]
			switch {
			case !ok:
			case stack.IsStopped(state):
				res.held++
				listed++
			default:
				// qBittorrent passes a torrent it adds stopped through checking states on the
				// way; only one transferring, or trying to, ran.
				if stack.IsRunning(state) {
					running[hash] = true
				}
				listed++
			}
		}
		res.started = len(running)
		if listed == burst && res.listedAfter == 0 {
			res.listedAfter = time.Since(start)
		}
		if res.held == burst {
			res.heldAfter = time.Since(start)
			break
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("only %d of %d torrents held: %w", res.held, burst, ctx.Err())
		case <-time.After(burstStatePoll):
		}
	}
	progress("all %d held after %s; waiting for their cards", burst, res.heldAfter.Round(time.Millisecond))

	carded := map[string]bool{}
	var lastStamp, lastReadable int64 // the latest card that carried a torrent first: homeserver stamp, approver's read
	alice := s.Clients["alice"]
	_, err = alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		if m.Type != "message" || m.Replaces() != "" || m.Sender == alice.UserID {
			return false
		}
		res.botMessages++
		var hashes []any
		if r := m.Request(); r != nil {
			res.cards++
			hashes = append(hashes, r["hash"])
		}
		if items, ok := m.Content["org.seedgate.digest"].([]any); ok {
			res.digests++
			for _, item := range items {
				hashes = append(hashes, item.(map[string]any)["hash"])
			}
		}
		if len(hashes) > 0 {
			if rel, _ := m.Content["m.relates_to"].(map[string]any); rel != nil && rel["rel_type"] == "m.thread" {
				res.inThread++
			} else {
				res.timeline++
			}
		}
		for _, hash := range hashes {
			if h, _ := hash.(string); want[h] && !carded[h] {
				carded[h] = true
				lastStamp, lastReadable = max(lastStamp, m.TS), max(lastReadable, m.ReadableAt)
			}
		}
		return len(carded) == burst
	})
	res.carded = len(carded)
	if err != nil {
		return res, fmt.Errorf("only %d of %d torrents on a card: %w", res.carded, burst, err)
	}
	res.cardedAfter = time.UnixMilli(lastStamp).Sub(start)
	res.readableAfter = time.UnixMilli(lastReadable).Sub(start)
	progress("all %d on %d cards and %d digests after %s; idling %s", burst, res.cards, res.digests, res.cardedAfter.Round(time.Millisecond), idle)

	res.rest, err = measureRest(ctx, s, qb, preload+burst, burst, idle)
	return res, err
}

// makeTorrents makes n small trackerless torrents named prefix-00000 ….
func makeTorrents(prefix string, n int) ([]*stack.TorrentFile, error) {
	files := make([]*stack.TorrentFile, n)
	for i := range files {
		tf, err := stack.MakeTorrent("", fmt.Sprintf("%s-%05d.bin", prefix, i), 16<<10)
		if err != nil {
			return nil, err
		}
		files[i] = tf
	}
	return files, nil
}

// addMany adds n torrents in batches of 250.
func addMany(ctx context.Context, q *stack.QBittorrent, prefix string, n int, stopped bool) error {
	files, err := makeTorrents(prefix, n)
	if err != nil {
		return err
	}
	qb, err := q.Session(ctx)
	if err != nil {
		return err
	}
	for from := 0; from < n; from += 250 {
		if err = addRetrying(ctx, func() error { return qb.AddBatch(ctx, files[from:min(from+250, n)], stopped) }); err != nil {
			return err
		}
	}
	// qBittorrent adds asynchronously: wait until it lists them all.
	for {
		states, err := qb.States(ctx, "")
		if err != nil {
			return err
		}
		if len(states) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("qBittorrent lists %d of %d torrents: %w", len(states), n, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// addRetrying makes one torrents/add call, again up to twice when the connection failed
// (qBittorrent once reset it while taking a batch on top of 99,000 torrents). Adding a batch
// again is harmless: qBittorrent skips the torrents it already has.
func addRetrying(ctx context.Context, add func() error) error {
	var err error
	for attempt := range 3 {
		if err = add(); err == nil || !isConnectionError(err) || attempt == 2 {
			return err
		}
		progress("torrents/add failed (%v); adding the batch again", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return err
}

// isConnectionError tells a failed connection from an answer qBittorrent gave.
func isConnectionError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
