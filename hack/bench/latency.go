package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/test/stack"
)

// latencyResult holds one run's samples, each next to its floor.
type latencyResult struct {
	homeserver                    string // the stack's homeserver kind
	homeserverVersion             string
	eventToCard, cardFloor        []time.Duration // to the card's origin_server_ts
	cardAnswered, floorAnswered   []time.Duration // to the homeserver answering the send
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
	hook, err := startFloorHook(ctx, floor, s.HookSecret, dir)
	if err != nil {
		return nil, err
	}
	defer hook.close()
	res := &latencyResult{homeserver: homeserver, homeserverVersion: homeserverVersion(tools, homeserver)}

	progress("measuring the floor: %d minimal hooks -> encrypted sends and %d reactions through a minimal mautrix client", n, n)
	if _, _, _, err = floor.send(ctx, "warm-up: the first send shares the room key"); err != nil {
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
		start, sent, err := hook.fire(ctx, fmt.Sprintf("%040x", i))
		if err != nil {
			return nil, err
		}
		res.cardFloor = append(res.cardFloor, sent.ts.Sub(start))
		res.floorAnswered = append(res.floorAnswered, sent.answered.Sub(start))
		if _, err = alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "message" && m.EventID == sent.eventID }); err != nil {
			return nil, err
		}
		arrived := floor.expectReaction(id.EventID(sent.eventID))
		start = time.Now()
		if _, err = alice.React(ctx, floor.roomID.String(), sent.eventID, "✅"); err != nil {
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
		hook := exec.CommandContext(ctx, stack.HookProgram(s.Seedgate.Bin), "--url", s.HookURL, "--secret-file", s.HookSecret,
			"--client", "seedbox", "--event", "added", "--hash", tf.Hash, "--name", tf.Name)
		start := time.Now()
		if out, err := hook.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("seedgate-hook: %w: %s", err, out)
		}
		card, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
			r := m.Request()
			return m.Type == "message" && r != nil && r["hash"] == tf.Hash && m.Replaces() == ""
		})
		if err != nil {
			return nil, err
		}
		res.eventToCard = append(res.eventToCard, time.UnixMilli(card.TS).Sub(start))
		answered, err := cardPostedAt(ctx, s.Seedgate.Proc(), card.EventID)
		if err != nil {
			return nil, err
		}
		res.cardAnswered = append(res.cardAnswered, answered.Sub(start))
		if err = awaitState(ctx, qb, tf.Hash, func(state string, exists bool) bool { return exists && stack.IsStopped(state) }); err != nil {
			return nil, err
		}
		// An approver taps the ✅ the bot put under the card, so it reacts once both seeds
		// are there, not while the homeserver still takes them.
		if err = awaitSeeds(ctx, alice, card); err != nil {
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
		// seedgate answers the vote and edits the card with the outcome after the action; the
		// next sample starts once the approver has that edit, so it does not share the two
		// cores with this one's tail, as the floor's samples share them with nothing.
		if err = awaitOutcome(ctx, alice, card); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// awaitOutcome waits until the approver sees card edited to show its request done.
func awaitOutcome(ctx context.Context, a *stack.Approver, card *stack.ApproverMessage) error {
	if _, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		return m.Replaces() == card.EventID && m.Request()["state"] == "done"
	}); err != nil {
		return fmt.Errorf("card %s edited to show the action done: %w", card.EventID, err)
	}
	return nil
}

// awaitSeeds waits until the approver sees the bot's ✅ and ❌ under card.
func awaitSeeds(ctx context.Context, a *stack.Approver, card *stack.ApproverMessage) error {
	for _, key := range []string{"✅", "❌"} {
		if _, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
			rel, _ := m.Content["m.relates_to"].(map[string]any)
			return m.Type == "reaction" && m.Sender == card.Sender && rel["event_id"] == card.EventID && rel["key"] == key
		}); err != nil {
			return fmt.Errorf("the bot's %s under card %s: %w", key, card.EventID, err)
		}
	}
	return nil
}

// cardPostedAt reads from seedgate's log when the homeserver answered the send of the card
// eventID: seedgate logs "Posted a card" as the answer arrives, before anything else.
func cardPostedAt(ctx context.Context, p *stack.Proc, eventID string) (time.Time, error) {
	var at time.Time
	_, _, err := p.WaitLine(ctx, 0, func(line string) bool {
		var entry struct {
			Message string    `json:"message"`
			EventID string    `json:"event_id"`
			Time    time.Time `json:"time"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Message != "Posted a card" || entry.EventID != eventID {
			return false
		}
		at = entry.Time
		return true
	})
	if err != nil {
		return at, fmt.Errorf("seedgate never logged posting card %s: %w", eventID, err)
	}
	return at, nil
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
