package bot

import (
	"slices"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Only a card this device encrypted itself is adopted at start: not one from another device of
// the bot's account (a homeserver admin can add one, or reset cross-signing to vouch for it),
// not one whose key was forwarded, not one restored from a backup.
func TestOnlyOwnCardsAreAdopted(t *testing.T) {
	other := &id.Device{UserID: "@seedgate_bot:hs", DeviceID: "ADMINADDED"}
	for name, tc := range map[string]struct {
		mautrix event.MautrixInfo
		want    bool
	}{
		"own session":                  {event.MautrixInfo{TrustState: id.TrustStateVerified}, true},
		"another device, cross-signed": {event.MautrixInfo{TrustState: id.TrustStateCrossSignedVerified, TrustSource: other}, false},
		"another device, verified":     {event.MautrixInfo{TrustState: id.TrustStateVerified, TrustSource: other}, false},
		"forwarded key":                {event.MautrixInfo{TrustState: id.TrustStateVerified, ForwardedKeys: true}, false},
		"from backup":                  {event.MautrixInfo{TrustState: id.TrustStateBackup}, false},
	} {
		if got := sentByThisDevice(&event.Event{Mautrix: tc.mautrix}); got != tc.want {
			t.Errorf("%s: adopted %v, want %v", name, got, tc.want)
		}
	}
}

// A card the last run sent and did not record is found again however it was sent: a card of
// its own, a burst's first digest card, or a digest card in that card's thread, with the item
// numbers it shows. Edits and the bot's answers in a thread are not cards.
func TestReadBackFindsEveryKindOfCard(t *testing.T) {
	for name, tc := range map[string]struct {
		raw    string
		want   []string
		items  []int
		thread id.EventID
	}{
		"card of its own": {raw: `{"org.seedgate.request":{"id":"r1"}}`, want: []string{"r1"}, items: []int{0}},
		"first digest card": {raw: `{"org.seedgate.digest":[{"id":"r1","item":1},{"id":"r2","item":2}]}`,
			want: []string{"r1", "r2"}, items: []int{1, 2}},
		"digest card in the burst's thread": {raw: `{"m.relates_to":{"rel_type":"m.thread","event_id":"$root"},"org.seedgate.digest":[{"id":"r41","item":41}]}`,
			want: []string{"r41"}, items: []int{41}, thread: "$root"},
		"edit":                  {raw: `{"m.relates_to":{"rel_type":"m.replace","event_id":"$card"},"org.seedgate.digest":[{"id":"r1","item":1}]}`},
		"edit of a single card": {raw: `{"m.relates_to":{"rel_type":"m.replace","event_id":"$card"},"org.seedgate.request":{"id":"r1"}}`},
		"answer in a thread":    {raw: `{"m.relates_to":{"rel_type":"m.thread","event_id":"$card"},"body":"approve counted"}`},
		"a card of its own in a thread (never sent)": {raw: `{"m.relates_to":{"rel_type":"m.thread","event_id":"$card"},"org.seedgate.request":{"id":"r1"}}`},
	} {
		sent, ok := readCard([]byte(tc.raw))
		if ok != (tc.want != nil) || !slices.Equal(sent.reqIDs, tc.want) || !slices.Equal(sent.items, tc.items) || sent.thread != tc.thread {
			t.Errorf("%s: read %v %+v, want requests %v items %v thread %q", name, ok, sent, tc.want, tc.items, tc.thread)
		}
	}
}

// A read-back card is adopted for the requests it shows, first first, with its numbers and
// thread; never for a list it does not start, nor in another room.
func TestAdoptingACardOfABurst(t *testing.T) {
	var c sentCards
	c.remember("$part", sentCard{room: "!r", reqIDs: []string{"x", "y"}, items: []int{41, 42}, thread: "$root", readBack: true})
	c.remember("$mine", sentCard{room: "!r", reqIDs: []string{"m"}, items: []int{0}})
	if card, sent, ok := c.adoptable("!r", []string{"x", "y", "z"}); !ok || card != "$part" || sent.thread != "$root" || !slices.Equal(sent.items, []int{41, 42}) {
		t.Fatalf("adopting for x, y, z: %v %s %+v", ok, card, sent)
	}
	for name, reqs := range map[string][]string{"not its first": {"y", "x"}, "fewer than it shows": {"x"}, "another order": {"x", "z"}} {
		if _, _, ok := c.adoptable("!r", reqs); ok {
			t.Errorf("%s (%v): adopted", name, reqs)
		}
	}
	if _, _, ok := c.adoptable("!other", []string{"x", "y"}); ok {
		t.Error("adopted in another room")
	}
	if _, _, ok := c.adoptable("!r", []string{"m"}); ok {
		t.Error("adopted a card this run sent (its send is retried under the same transaction id instead)")
	}
}
