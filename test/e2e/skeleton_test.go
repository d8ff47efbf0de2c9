package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestApprovalEndToEnd runs the walking skeleton for real: qBittorrent adds torrents, seedgate
// stops each at once and posts an encrypted card into a room on Dendrite, and the matrix-js-sdk
// approver decrypts it and reacts. It checks qBittorrent's real state after approve, deny and
// expiry, that the cards are edited with the outcome, that a non-approver changes nothing, that
// a restart of seedgate mid-request loses nothing, and that the audit chain is intact.
func TestApprovalEndToEnd(t *testing.T) {
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := tempDir(t)
	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Approvers: []string{"alice"}, Others: []string{"mallory"}, TTL: 20 * time.Second, Metrics: true})
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(s.Down)
	alice, mallory := s.Clients["alice"], s.Clients["mallory"]

	add := func(name string) *stack.TorrentFile {
		t.Helper()
		tf, err := stack.MakeTorrent("", name, 256<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err = s.QB.Add(ctx, tf); err != nil {
			t.Fatal(err)
		}
		return tf
	}
	held := func(tf *stack.TorrentFile) {
		t.Helper()
		waitTorrentState(ctx, t, s.QB, tf.Hash, "held (stopped)", func(state string, exists bool) bool { return exists && stack.IsStopped(state) })
	}

	// Added first so its expiry runs while the others are decided.
	expiring := add("expires-unanswered.bin")
	approved := add("approved.bin")
	denied := add("denied.bin")

	t.Run("approve resumes", func(t *testing.T) {
		card := waitCard(ctx, t, alice, approved.Hash)
		if card.WireType != "m.room.encrypted" || !card.Decrypted {
			t.Fatalf("card reached the approver as %q (decrypted=%v), want an encrypted event it could decrypt", card.WireType, card.Decrypted)
		}
		// The bot cross-signed its device, so Element draws no "unsigned device" warning.
		if card.Shield == nil || card.Shield.Reason == "UNSIGNED_DEVICE" || card.Shield.Colour == "RED" {
			t.Fatalf("card's shield in the approver's client: %+v, want no unsigned-device warning", card.Shield)
		}
		body, _ := card.Content["body"].(string)
		for _, want := range []string{"approved.bin", approved.Hash, "seedbox", "256.0 KiB", "Expires", "Match code"} {
			if !strings.Contains(body, want) {
				t.Errorf("card body lacks %q:\n%s", want, body)
			}
		}
		held(approved)
		// The bot puts ✅ and ❌ under the card, so the approver answers with one tap.
		for _, key := range []string{"✅", "❌"} {
			if _, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
				rel, _ := m.Content["m.relates_to"].(map[string]any)
				return m.Type == "reaction" && m.Sender == card.Sender && rel["event_id"] == card.EventID && rel["key"] == key
			}); err != nil {
				t.Fatalf("the bot never seeded %s under the card: %v", key, err)
			}
		}

		// A room member who is not an approver changes nothing, and is told so.
		if _, err := mallory.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
		first := waitThreadNotice(ctx, t, alice, card.EventID, "not an approver")
		if _, err := mallory.Reply(ctx, card.RoomID, card.EventID, "approve"); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
			body, _ := m.Content["body"].(string)
			return m.Type == "message" && m.EventID != first.EventID && strings.Contains(body, "@mallory:localhost: your approve was not counted: not an approver")
		}); err != nil {
			t.Fatal(err)
		}
		if state, _, _ := s.QB.State(ctx, approved.Hash); !stack.IsStopped(state) {
			t.Fatalf("a non-approver's reaction or reply changed the torrent: state %s", state)
		}

		if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
		edit := waitCardState(ctx, t, alice, card.EventID, "done")
		newBody, _ := edit.Content["m.new_content"].(map[string]any)["body"].(string)
		if !strings.Contains(newBody, "Approved") || !strings.Contains(newBody, "by alice") || !strings.Contains(newBody, "torrent resumed") {
			t.Errorf("edited card does not show who approved and the outcome:\n%s", newBody)
		}
		waitTorrentState(ctx, t, s.QB, approved.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })

		// The card's content is encrypted on the server.
		evt, raw, err := serverEvent(ctx, s.HS.BaseURL(), "alice", s.Passwords["alice"], card.RoomID, card.EventID)
		if err != nil {
			t.Fatal(err)
		}
		if evt["type"] != "m.room.encrypted" {
			t.Fatalf("server stores the card as %v, want m.room.encrypted", evt["type"])
		}
		if bytes.Contains(raw, []byte("approved.bin")) || bytes.Contains(raw, []byte(approved.Hash)) {
			t.Fatalf("the server's copy of the card reveals the torrent: %s", raw)
		}
	})

	t.Run("deny removes", func(t *testing.T) {
		card := waitCard(ctx, t, alice, denied.Hash)
		held(denied)
		if _, err := alice.React(ctx, card.RoomID, card.EventID, "❌"); err != nil {
			t.Fatal(err)
		}
		edit := waitCardState(ctx, t, alice, card.EventID, "done")
		newBody, _ := edit.Content["m.new_content"].(map[string]any)["body"].(string)
		if !strings.Contains(newBody, "Denied") || !strings.Contains(newBody, "torrent removed") {
			t.Errorf("edited card does not show the denial:\n%s", newBody)
		}
		waitTorrentState(ctx, t, s.QB, denied.Hash, "removed", func(_ string, exists bool) bool { return !exists })
	})

	t.Run("restart keeps pending requests", func(t *testing.T) {
		tf := add("survives-restart.bin")
		card := waitCard(ctx, t, alice, tf.Hash)
		held(tf)
		s.Seedgate.Stop()
		// The vote arrives while seedgate is down; it must count once seedgate is back.
		if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
		before := botDevice(ctx, t, s.Seedgate.Proc())
		if err := s.Seedgate.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if after := botDevice(ctx, t, s.Seedgate.Proc()); after != before {
			t.Fatalf("restart changed the bot's device: %s -> %s", before, after)
		}
		edit := waitCardState(ctx, t, alice, card.EventID, "done")
		if edit.Shield == nil || edit.Shield.Reason == "UNSIGNED_DEVICE" {
			t.Fatalf("after a restart the bot's edits carry shield %+v", edit.Shield)
		}
		waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed after restart", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	})

	t.Run("expiry removes", func(t *testing.T) {
		card := waitCard(ctx, t, alice, expiring.Hash)
		edit := waitCardState(ctx, t, alice, card.EventID, "done")
		newBody, _ := edit.Content["m.new_content"].(map[string]any)["body"].(string)
		if !strings.Contains(newBody, "Expired") {
			t.Errorf("edited card does not show the expiry:\n%s", newBody)
		}
		waitTorrentState(ctx, t, s.QB, expiring.Hash, "removed after expiry", func(_ string, exists bool) bool { return !exists })
	})

	t.Run("audit chain intact and each action ran once", func(t *testing.T) {
		auditIntact(ctx, t, s)
		started := map[string]int{}
		rejected := 0
		for _, e := range auditEntries(ctx, t, s) {
			switch e.Kind {
			case "action_started":
				started[e.RequestID]++
			case "vote_rejected":
				rejected++
			}
		}
		if len(started) != 4 {
			t.Errorf("actions started for %d requests, want 4", len(started))
		}
		for id, n := range started {
			if n != 1 {
				t.Errorf("request %s: action started %d times", id, n)
			}
		}
		if rejected != 2 {
			t.Errorf("%d rejected votes in the audit log, want 2 (the non-approver's reaction and reply)", rejected)
		}
	})

	t.Run("metrics and health", func(t *testing.T) {
		for path, want := range map[string]string{"/health/live": "ok", "/health/ready": "ready"} {
			if body := httpGet(ctx, t, s.MetricsURL+path); !strings.Contains(body, want) {
				t.Errorf("%s answered %q", path, body)
			}
		}
		// Counters belong to the running process, started again mid-test: it saw the vote cast
		// while it was down and decided two requests (that one, and the expired one). Gauges
		// read the database.
		body := httpGet(ctx, t, s.MetricsURL+"/metrics")
		for _, want := range []string{
			`seedgate_votes_total{assurance="homeserver",counted="true"} 1`,
			`seedgate_decision_seconds_count 2`,
			`seedgate_requests{state="done"} 4`,
			`seedgate_outbox_depth 0`,
			`seedgate_watcher_polls_total{client="seedbox"}`,
			`seedgate_watcher_poll_bytes_total{client="seedbox"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}
