package e2e

import (
	"context"
	"testing"

	"github.com/seedgate/seedgate/test/stack"
)

// reactToCards reacts to every new card the approver sees, ✅ or ❌ as approve says for its
// torrent, as a person would, whatever seedgate is doing meanwhile, until it has reacted to
// cards of n torrents (a second card of one is reacted to and counted too). The counts per
// torrent hash are safe to read once done has answered.
func reactToCards(ctx context.Context, a *stack.Approver, approve map[string]bool, n int) (reacted map[string]int, done <-chan error) {
	reacted = map[string]int{}
	result := make(chan error, 1)
	go func() {
		from := 0
		for len(reacted) < n {
			i, card, err := a.WaitFrom(ctx, from, func(m *stack.ApproverMessage) bool {
				return m.Type == "message" && m.Request() != nil && m.Replaces() == ""
			})
			if err != nil {
				result <- err
				return
			}
			from = i + 1
			hash, _ := card.Request()["hash"].(string)
			key := "❌"
			if approve[hash] {
				key = "✅"
			}
			reacted[hash]++
			if _, err = a.React(ctx, card.RoomID, card.EventID, key); err != nil {
				result <- err
				return
			}
		}
		result <- nil
	}()
	return reacted, result
}

// awaitDecided waits until every approved torrent runs and every denied one is gone.
func awaitDecided(ctx context.Context, t *testing.T, session *stack.QBSession, approve map[string]bool) {
	t.Helper()
	eventually(ctx, t, "every torrent as decided", func() (bool, error) {
		states, err := session.States(ctx, "")
		if err != nil {
			return false, nil // the client is busy; ask again
		}
		for hash, yes := range approve {
			state, exists := states[hash]
			if yes && (!exists || stack.IsStopped(state)) || !yes && exists {
				return false, nil
			}
		}
		return true, nil
	})
}

// checkEachFlowOnce asserts what approval flows interrupted by crashes or takeovers must
// still show: one card and one request per torrent, one vote recorded per reaction, each
// action started and finished once, and an intact audit chain.
func checkEachFlowOnce(ctx context.Context, t *testing.T, s *stack.Stack, approve map[string]bool, reacted map[string]int) {
	t.Helper()
	for hash, n := range reacted {
		if n != 1 {
			t.Errorf("torrent %s got %d cards, want 1", hash, n)
		}
	}
	auditIntact(ctx, t, s)
	opened, started, finished, votes := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, e := range auditEntries(ctx, t, s) {
		switch e.Kind {
		case "request_opened":
			opened[e.Data.Hash]++
		case "vote_counted", "vote_rejected":
			votes[e.RequestID]++
		case "action_started":
			started[e.RequestID]++
		case "action_done", "action_failed":
			finished[e.RequestID]++
		}
	}
	for hash := range approve {
		if opened[hash] != 1 {
			t.Errorf("torrent %s: %d requests opened, want 1", hash, opened[hash])
		}
	}
	if len(started) != len(approve) || len(finished) != len(approve) {
		t.Errorf("actions started for %d requests and finished for %d, want %d each", len(started), len(finished), len(approve))
	}
	for id, n := range votes {
		if n != 1 {
			t.Errorf("request %s: %d votes recorded for one reaction (a replayed event recorded again)", id, n)
		}
	}
	for id, n := range started {
		if n != 1 || finished[id] != 1 {
			t.Errorf("request %s: action started %d times, finished %d times", id, n, finished[id])
		}
	}
}
