package e2e

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// burstCards is what the approver saw of a burst: the cards in the room's timeline, the digest
// cards in the first digest's thread, and which card shows each torrent.
type burstCards struct {
	timeline []*stack.ApproverMessage
	root     *stack.ApproverMessage // the one digest card in the timeline
	inThread []*stack.ApproverMessage
	cardOf   map[string]string // torrent hash -> event id of its card
}

// digestHashes lists the torrent hashes a digest card shows, in item order.
func digestHashes(m *stack.ApproverMessage) []string {
	items, _ := m.Content["org.seedgate.digest"].([]any)
	var out []string
	for _, item := range items {
		if fields, ok := item.(map[string]any); ok {
			hash, _ := fields["hash"].(string)
			out = append(out, hash)
		}
	}
	return out
}

// threadOf returns the thread a message is in, or "".
func threadOf(m *stack.ApproverMessage) string {
	rel, _ := m.Content["m.relates_to"].(map[string]any)
	if rel == nil || rel["rel_type"] != "m.thread" {
		return ""
	}
	root, _ := rel["event_id"].(string)
	return root
}

// waitBurstCarded waits until every torrent of want is on a card the approver received.
func waitBurstCarded(ctx context.Context, t *testing.T, a *stack.Approver, want map[string]bool) *burstCards {
	t.Helper()
	seen := &burstCards{cardOf: map[string]string{}}
	carded := 0
	_, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		if m.Type != "message" || m.Sender == a.UserID || m.Replaces() != "" {
			return false
		}
		var hashes []string
		if r := m.Request(); r != nil {
			hash, _ := r["hash"].(string)
			hashes = []string{hash}
		}
		digest := digestHashes(m)
		hashes = append(hashes, digest...)
		if len(hashes) == 0 {
			return false // a notice
		}
		switch thread := threadOf(m); {
		case thread == "":
			seen.timeline = append(seen.timeline, m)
			if len(digest) > 0 && seen.root == nil {
				seen.root = m
			}
		default:
			seen.inThread = append(seen.inThread, m)
		}
		for _, h := range hashes {
			if want[h] && seen.cardOf[h] == "" {
				seen.cardOf[h] = m.EventID
				carded++
			}
		}
		return carded == len(want)
	})
	if err != nil {
		t.Fatalf("only %d of %d torrents reached a card: %v", carded, len(want), err)
	}
	return seen
}

// TestBurstIsOneDigestWithItsRestInTheThread adds 200 torrents at once as an RSS rule does
// (qBittorrent's own setting decides whether they start: in door mode, stopped), each firing
// the on-added hook, under a policy with digest_after 3. The room's timeline gets
// three cards of their own and one digest card; every other torrent of the burst is on a
// digest card in that card's thread (the homeserver accepts the thread: a card in it is never
// made a thread root of its own). All stay stopped until decided. Then, as an approver would:
// one item denied by a reply in the thread naming its number and code, one card in the thread
// approved by a reaction (only its items start, and the answer lands in the same thread), and
// the first card approved by a reaction, which starts every other item of the burst and none
// of the three single cards' torrents.
func TestBurstIsOneDigestWithItsRestInTheThread(t *testing.T) {
	ctx, s := upStack(t, 5*time.Minute, stack.Options{Approvers: []string{"alice"}, Hooks: true, DigestAfter: 3, TTL: 10 * time.Minute})
	alice := s.Clients["alice"]
	const burst = 200
	files := make([]*stack.TorrentFile, burst)
	want := map[string]bool{}
	for i := range files {
		tf, err := stack.MakeTorrent("", fmt.Sprintf("burst-%03d.bin", i), 16<<10)
		if err != nil {
			t.Fatal(err)
		}
		files[i], want[tf.Hash] = tf, true
	}
	qb, err := s.QB.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err = qb.AddBatchAsConfigured(ctx, files); err != nil {
		t.Fatal(err)
	}
	seen := waitBurstCarded(ctx, t, alice, want)
	if len(seen.timeline) != 4 || seen.root == nil || seen.root != seen.timeline[3] {
		t.Fatalf("the room's timeline got %d cards (want 4: three of their own, then one digest)", len(seen.timeline))
	}
	if len(seen.inThread) == 0 {
		t.Fatalf("the digest card shows %d of %d torrents and nothing went into its thread: the test no longer makes a burst larger than a card",
			len(digestHashes(seen.root)), burst-3)
	}
	for _, m := range seen.inThread {
		if threadOf(m) != seen.root.EventID {
			t.Fatalf("card %s is in the thread of %s, not of the burst's first card %s", m.EventID, threadOf(m), seen.root.EventID)
		}
	}
	states := settledStates(ctx, t, qb, want)
	for hash := range want {
		if !stack.IsStopped(states[hash]) {
			t.Fatalf("torrent %s is %q before any vote: a burst must never start", hash, states[hash])
		}
	}

	// One item on a card in the thread, denied by a reply in the thread naming it.
	part := seen.inThread[0]
	for _, m := range seen.inThread {
		if len(digestHashes(m)) > len(digestHashes(part)) {
			part = m
		}
	}
	if len(digestHashes(part)) < 3 {
		t.Fatalf("the cards in the thread show at most %d torrents: too few to vote on one and then the rest", len(digestHashes(part)))
	}
	body, _ := part.Content["body"].(string)
	line := regexp.MustCompile(`(?m)^(\d+)\. \S+ \([^)]*\) code (\S+) — pending$`).FindStringSubmatch(body)
	if line == nil {
		t.Fatalf("no pending item in the card in the thread:\n%s", body)
	}
	denied := digestHashes(part)[0]
	if _, err = alice.Reply(ctx, part.RoomID, seen.root.EventID, "deny "+line[1]+" "+line[2]); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, seen.root.EventID, "deny counted")
	waitTorrentState(ctx, t, s.QB, denied, "removed by the denial", func(_ string, exists bool) bool { return !exists })

	// The card in the thread approved by a reaction: its items start, nothing else does.
	if _, err = alice.React(ctx, part.RoomID, part.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, seen.root.EventID, fmt.Sprintf("approve counted on %d of %d items", len(digestHashes(part))-1, len(digestHashes(part))-1))
	partItems := map[string]bool{}
	for _, h := range digestHashes(part)[1:] {
		partItems[h] = true
		waitTorrentState(ctx, t, s.QB, h, "started by the reaction on its card", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	}
	for _, h := range digestHashes(seen.root) {
		if state, _, err := s.QB.State(ctx, h); err != nil || !stack.IsStopped(state) {
			t.Fatalf("torrent %s on the first card is %q after a vote on another card (%v)", h, state, err)
		}
	}

	// The first card approved by a reaction: every other item of the burst starts.
	if _, err = alice.React(ctx, seen.root.RoomID, seen.root.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	rest := burst - 3 - 1 - len(partItems)
	waitThreadNotice(ctx, t, alice, seen.root.EventID, fmt.Sprintf("approve counted on %d of %d items", rest, rest))
	singles := map[string]bool{}
	for _, m := range seen.timeline[:3] {
		hash, _ := m.Request()["hash"].(string)
		singles[hash] = true
	}
	eventually(ctx, t, "every other item of the burst started", func() (bool, error) {
		states, err := qb.States(ctx, "")
		if err != nil {
			return false, err
		}
		for hash := range want {
			if hash != denied && !singles[hash] && stack.IsStopped(states[hash]) {
				return false, nil
			}
		}
		return true, nil
	})
	states, err = qb.States(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for hash := range singles {
		if !stack.IsStopped(states[hash]) {
			t.Fatalf("torrent %s on a card of its own is %q: the burst's vote reached it", hash, states[hash])
		}
	}
}

// settledStates waits until none of hashes is in a state torrents pass through (checking,
// queued, moving) and returns the states they settled in: qBittorrent 4.5 still shows a torrent
// added stopped as checkingResumeData for a moment, and only where it settles says whether it
// started.
func settledStates(ctx context.Context, t *testing.T, qb *stack.QBSession, hashes map[string]bool) map[string]string {
	t.Helper()
	var states map[string]string
	eventually(ctx, t, "every torrent of the burst settled stopped or running", func() (bool, error) {
		var err error
		if states, err = qb.States(ctx, ""); err != nil {
			return false, err
		}
		for hash := range hashes {
			st, listed := states[hash]
			if !listed {
				return false, fmt.Errorf("torrent %s is gone from qBittorrent before any vote", hash)
			}
			if !stack.IsStopped(st) && !stack.IsRunning(st) {
				return false, nil
			}
		}
		return true, nil
	})
	return states
}
