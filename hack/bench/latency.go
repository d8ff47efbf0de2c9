package main

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// latencyResult holds one run's samples, each next to its floor.
type latencyResult struct {
	homeserver                    string // the stack's homeserver kind
	homeserverVersion             string
	eventToCard, cardFloor        []time.Duration
	approvalToAction, actionFloor []time.Duration
	deliveryFloor, apiFloor       []time.Duration
}

// measureLatency brings up the stack with one approver and measures, n times each, event ->
// card and approval -> action, and their floors in the same run.
// qbRefresh is qBittorrent's refresh_interval during the latency runs.
const qbRefresh = 20 * time.Millisecond

func measureLatency(ctx context.Context, tools *stack.Tools, homeserver, dir string, n int) (*latencyResult, error) {
	// A long poll interval: only the hook can make seedgate notice a torrent, so the clock
	// starts when the hook fires, as the issue defines it.
	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Homeserver: homeserver, Approvers: []string{"alice"}, Hooks: true, PollInterval: "10m"})
	if err != nil {
		return nil, err
	}
	defer s.Down()
	// The bench fires the hook itself, at a known time, instead of qBittorrent's autorun.
	// qBittorrent refreshes the torrent states its Web API reports every refresh_interval
	// (1,500 ms by default): an action shows up to 1.5 s after it took effect, whoever made it.
	// Both the floor and seedgate are timed to the state the API reports, at 20 ms.
	if err = s.QB.SetPreferences(ctx, map[string]any{"autorun_on_torrent_added_enabled": false, "refresh_interval": qbRefresh.Milliseconds()}); err != nil {
		return nil, err
	}
	alice := s.Clients["alice"]
	qb, err := s.QB.Session(ctx)
	if err != nil {
		return nil, err
	}
	floor, err := startFloorClient(ctx, s, alice, dir)
	if err != nil {
		return nil, err
	}
	defer floor.close()
	res := &latencyResult{homeserver: homeserver, homeserverVersion: homeserverVersion(tools, homeserver)}

	progress("measuring the floor: %d encrypted sends and %d reactions through a minimal mautrix client", n, n)
	if _, _, err = floor.send(ctx, "warm-up: the first send shares the room key"); err != nil {
		return nil, err
	}
	apiTorrent, err := stack.MakeTorrent("", "floor-api.bin", 16<<10)
	if err != nil {
		return nil, err
	}
	if err = qb.AddBatch(ctx, []*stack.TorrentFile{apiTorrent}, true); err != nil {
		return nil, err
	}
	for i := range n {
		eventID, took, err := floor.send(ctx, fmt.Sprintf("floor message %d", i))
		if err != nil {
			return nil, err
		}
		res.cardFloor = append(res.cardFloor, took)
		if _, err = alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "message" && m.EventID == eventID.String() }); err != nil {
			return nil, err
		}
		arrived := floor.expectReaction(eventID)
		start := time.Now()
		if _, err = alice.React(ctx, floor.roomID.String(), eventID.String(), "✅"); err != nil {
			return nil, err
		}
		var delivery time.Duration
		select {
		case at := <-arrived:
			delivery = at.Sub(start)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// One Web API call that starts a stopped torrent, as seedgate's approval ends in, timed
		// to qBittorrent reporting it running, as seedgate's is.
		start = time.Now()
		if err = qb.Post(ctx, "torrents/resume", url.Values{"hashes": {apiTorrent.Hash}}); err != nil {
			return nil, err
		}
		if err = awaitState(ctx, qb, apiTorrent.Hash, func(state string, exists bool) bool { return exists && !stack.IsStopped(state) }); err != nil {
			return nil, err
		}
		api := time.Since(start)
		if err = qb.Post(ctx, "torrents/pause", url.Values{"hashes": {apiTorrent.Hash}}); err != nil {
			return nil, err
		}
		if err = awaitState(ctx, qb, apiTorrent.Hash, func(state string, exists bool) bool { return exists && stack.IsStopped(state) }); err != nil {
			return nil, err
		}
		res.deliveryFloor = append(res.deliveryFloor, delivery)
		res.apiFloor = append(res.apiFloor, api)
		res.actionFloor = append(res.actionFloor, delivery+api)
	}

	progress("measuring seedgate: %d hooks -> cards and %d approvals -> actions", n, n)
	for i := range n {
		tf, err := stack.MakeTorrent("", fmt.Sprintf("bench-latency-%03d.bin", i), 64<<10)
		if err != nil {
			return nil, err
		}
		if err = s.QB.Add(ctx, tf); err != nil {
			return nil, err
		}
		if err = awaitState(ctx, qb, tf.Hash, func(state string, exists bool) bool { return exists }); err != nil {
			return nil, err
		}
		// What qBittorrent's "run on torrent added" runs, started now.
		hook := exec.CommandContext(ctx, s.Seedgate.Bin, "hook", "--url", s.HookURL, "--secret-file", s.HookSecret,
			"--client", "seedbox", "--event", "added", "--hash", tf.Hash, "--name", tf.Name)
		start := time.Now()
		if out, err := hook.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("seedgate hook: %w: %s", err, out)
		}
		card, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
			r := m.Request()
			return m.Type == "message" && r != nil && r["hash"] == tf.Hash && m.Replaces() == ""
		})
		if err != nil {
			return nil, err
		}
		res.eventToCard = append(res.eventToCard, time.UnixMilli(card.TS).Sub(start))
		if err = awaitState(ctx, qb, tf.Hash, func(state string, exists bool) bool { return exists && stack.IsStopped(state) }); err != nil {
			return nil, err
		}

		start = time.Now()
		if _, err = alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			return nil, err
		}
		if err = awaitState(ctx, qb, tf.Hash, func(state string, exists bool) bool { return exists && !stack.IsStopped(state) }); err != nil {
			return nil, err
		}
		res.approvalToAction = append(res.approvalToAction, time.Since(start))
	}
	return res, nil
}

// statePoll is how often the bench asks qBittorrent for a torrent's state: the measurement's
// resolution. qBittorrent answers its Web API on its main thread, so asking very often can
// slow what is measured; -state-poll changes it.
var statePoll = 2 * time.Millisecond

// awaitState polls one torrent's state every statePoll: qBittorrent offers no push.
func awaitState(ctx context.Context, qb *stack.QBSession, hash string, want func(state string, exists bool) bool) error {
	for {
		states, err := qb.States(ctx, hash)
		if err != nil {
			return err
		}
		state, exists := states[hash]
		if want(state, exists) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("torrent %s: %w (last state %q)", hash, ctx.Err(), state)
		case <-time.After(statePoll):
		}
	}
}
