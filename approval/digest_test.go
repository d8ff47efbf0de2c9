package approval

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// burstHarness is a harness whose policy allows three cards of their own in a 2 s window.
func burstHarness(t *testing.T) *harness {
	h := newHarness(t, 1)
	h.cfg.Policies[0].DigestAfter = 3
	h.cfg.Policies[0].DigestWindow = config.Duration(2 * time.Second)
	return h
}

// pendingByHash returns the open requests by torrent hash.
func (h *harness) pendingByHash(t *testing.T) map[string]*store.Request {
	t.Helper()
	reqs, err := h.store.ListRequests(context.Background(), store.RequestPending)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*store.Request{}
	for _, r := range reqs {
		out[r.TorrentHash] = r
	}
	return out
}

// TestBurstIsOneDigestWithTheRestInItsThread holds 12 torrents at once, then 5 more within the
// window: three cards of their own, then one digest in the timeline, at once (nothing waits
// out the window), and the later five in the digest's thread, numbered on from it. A vote on a
// card in the thread decides that card's items; one on the first card, every open item of the
// burst; an item's number decides that item wherever it is shown. Once the window passes
// with nothing new, requests get cards of their own again.
func TestBurstIsOneDigestWithTheRestInItsThread(t *testing.T) {
	ctx := context.Background()
	h := burstHarness(t)
	for i := range 12 {
		h.hold(t, fmt.Sprintf("a%02d", i))
	}
	h.svc.tick(ctx)
	if got := h.notifier.cards; !slices.Equal(got, []int{1, 1, 1, 9}) || !slices.Equal(h.notifier.threads, []string{"", "", "", ""}) {
		t.Fatalf("cards %v in threads %q, want three single cards and a digest of 9, all in the timeline", got, h.notifier.threads)
	}
	root := ""
	for _, r := range h.pendingByHash(t) {
		if r.DigestEvent != "" {
			root = r.DigestEvent
		}
	}
	h.clock = h.clock.Add(time.Second)
	for i := range 5 {
		h.hold(t, fmt.Sprintf("b%02d", i))
	}
	h.svc.tick(ctx)
	if got := h.notifier.cards; len(got) != 5 || got[4] != 5 || h.notifier.threads[4] != root {
		t.Fatalf("cards %v in threads %q, want the later five on one card in the thread of %s", got, h.notifier.threads, root)
	}
	pending := h.pendingByHash(t)
	part := pending["b00"].CardEvent
	items := map[string][]int{}
	for hash, r := range pending {
		where := "single"
		switch {
		case r.DigestEvent == root && r.CardEvent == root && hash[0] == 'a':
			where = "root"
		case r.DigestEvent == root && r.CardEvent == part && hash[0] == 'b':
			where = "thread"
		case r.DigestEvent != "" || r.DigestIndex != 0:
			t.Fatalf("%s: card %s item %d of digest %q, not where it belongs", hash, r.CardEvent, r.DigestIndex, r.DigestEvent)
		}
		items[where] = append(items[where], r.DigestIndex)
	}
	for where, want := range map[string][]int{"single": {0, 0, 0}, "root": {1, 2, 3, 4, 5, 6, 7, 8, 9}, "thread": {10, 11, 12, 13, 14}} {
		if slices.Sort(items[where]); !slices.Equal(items[where], want) {
			t.Fatalf("items on the %s cards: %v, want %v", where, items[where], want)
		}
	}

	vote := func(card string, item int, voter string, d store.Decision) []*Result {
		t.Helper()
		results, err := h.svc.VoteCard(ctx, Ballot{CardEventID: card, Voter: voter, Decision: d, Item: item, Assurance: AssuranceHomeserver})
		if err != nil {
			t.Fatalf("vote on %s item %d: %v", card, item, err)
		}
		return results
	}
	if res := vote(root, 2, "@bob:hs", store.DecisionDeny); len(res) != 1 || !res[0].Counted || res[0].Request.DigestIndex != 2 {
		t.Fatalf("item 2 on the root: %+v", res)
	}
	if res := vote(root, 12, "@bob:hs", store.DecisionApprove); len(res) != 1 || !res[0].Counted || res[0].Request.CardEvent != part {
		t.Fatalf("item 12, named on the root, is on the card in its thread: %+v", res)
	}
	if res := vote(part, 0, "@alice:hs", store.DecisionApprove); len(res) != 4 {
		t.Fatalf("a vote on the card in the thread reached %d items, want its 4 still open", len(res))
	}
	if res := vote(root, 0, "@alice:hs", store.DecisionApprove); len(res) != 8 {
		t.Fatalf("a vote on the root reached %d items, want the burst's 8 still open", len(res))
	}
	burstItems, err := h.store.ListRequestsByCard(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	states := map[store.RequestState]int{}
	for _, r := range burstItems {
		states[r.State]++
	}
	if len(burstItems) != 14 || states[store.RequestApproved] != 13 || states[store.RequestDenied] != 1 {
		t.Fatalf("the burst's %d items ended %v, want 13 approved and 1 denied", len(burstItems), states)
	}
	if singles := h.pendingByHash(t); len(singles) != 3 {
		t.Fatalf("%d requests still open, want the three on cards of their own", len(singles))
	}

	h.clock = h.clock.Add(2 * time.Second)
	h.hold(t, "c00")
	h.svc.tick(ctx)
	if got := h.notifier.cards; len(got) != 6 || got[5] != 1 || h.notifier.threads[5] != "" || h.pendingByHash(t)["c00"].DigestIndex != 0 {
		t.Fatalf("after the window, cards %v threads %q: want a card of its own in the timeline", got, h.notifier.threads)
	}
}

// TestBurstFillsEachCard holds 203 torrents at once when a card shows at most 40 items: three
// cards of their own, then the burst's root and four cards in its thread, every request on
// exactly one card, the items numbered 1…200 across them.
func TestBurstFillsEachCard(t *testing.T) {
	ctx := context.Background()
	h := burstHarness(t)
	h.notifier.maxItems = 40
	for i := range 203 {
		h.hold(t, fmt.Sprintf("%03d", i))
	}
	h.svc.tick(ctx)
	if got := h.notifier.cards; !slices.Equal(got, []int{1, 1, 1, 40, 40, 40, 40, 40}) {
		t.Fatalf("cards %v, want 3 singles and 5 digests of 40", got)
	}
	pending := h.pendingByHash(t)
	root := ""
	for _, r := range pending {
		if r.DigestIndex == 1 {
			root = r.CardEvent
		}
	}
	if want := []string{"", "", "", "", root, root, root, root}; !slices.Equal(h.notifier.threads, want) {
		t.Fatalf("threads %q, want %q", h.notifier.threads, want)
	}
	var items []int
	for _, r := range pending {
		switch {
		case r.CardEvent == "":
			t.Fatalf("request %s has no card", r.ID)
		case r.DigestEvent == root:
			items = append(items, r.DigestIndex)
		}
	}
	slices.Sort(items)
	if len(items) != 200 || items[0] != 1 || items[199] != 200 || len(slices.Compact(items)) != 200 {
		t.Fatalf("burst items %v…, want 1…200 once each", items[:min(5, len(items))])
	}
}
