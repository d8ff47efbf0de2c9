package bot

import (
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/store"
)

func TestParseReply(t *testing.T) {
	cases := []struct {
		body     string
		decision store.Decision
		item     int
		code     string
		ok       bool
	}{
		{"approve", "approve", 0, "", true},
		{"Approve ZQD-KG5", "approve", 0, "zqd-kg5", true},
		{"deny 3", "deny", 3, "", true},
		{"approve 3 ZQD-KG5", "approve", 3, "zqd-kg5", true},
		{"> quoted card\n\napprove zqd kg5", "approve", 0, "zqdkg5", true},
		{"hello", "", 0, "", false},
	}
	for _, tc := range cases {
		decision, item, code, ok := parseReply(tc.body)
		if decision != tc.decision || item != tc.item || code != tc.code || ok != tc.ok {
			t.Errorf("parseReply(%q) = %q %d %q %v", tc.body, decision, item, code, ok)
		}
	}
}

// Each signed line of a message gets its own replay key, derived from the event id, so a
// refetched message is still recognised line by line.
func TestSignedLinesHaveTheirOwnReplayKeys(t *testing.T) {
	evt := &event.Event{ID: "$m", Sender: "@alice:hs"}
	first, second := signedBallot(evt, "$card", 0, nil), signedBallot(evt, "$card", 1, nil)
	if first.ReplayKey == second.ReplayKey || first.ReplayKey != "$m/1" || second.Source != "signed reply $m/2" || first.CardEventID != "$card" {
		t.Fatalf("ballots %+v / %+v", first, second)
	}
}
