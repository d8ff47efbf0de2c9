package bot

import (
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
