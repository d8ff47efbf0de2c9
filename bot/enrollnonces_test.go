package bot

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

func TestEnrollNoncesAreSingleUseAndPersonal(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n := enrollNonces{now: func() time.Time { return now }}
	alice, mallory := id.UserID("@alice:hs"), id.UserID("@mallory:hs")
	first := n.issue(alice)
	if n.spend(mallory, first) {
		t.Fatal("another user spent alice's nonce")
	}
	second := n.issue(alice)
	if n.spend(alice, first) {
		t.Fatal("a replaced nonce was accepted")
	}
	if !n.spend(alice, second) || n.spend(alice, second) {
		t.Fatal("a nonce is good exactly once")
	}
	late := n.issue(alice)
	now = now.Add(enrollNonceTTL)
	if n.spend(alice, late) {
		t.Fatal("an expired nonce was accepted")
	}
}
