package approval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// Keys enrolled from Matrix are sealed to and counted like config keys; revoked keys, from
// either source, stop both at once and cannot come back.
func TestKeyringEnrollAndRevoke(t *testing.T) {
	ctx := context.Background()
	h, devs := signedHarness(t, 2)
	keys := h.svc.Keys()
	phone, _ := crypto.GenerateDevice()

	if _, err := keys.Enroll(ctx, "carol", "sgkey1.nonsense", "@carol:hs/DEV"); !errors.Is(err, crypto.ErrMalformed) {
		t.Fatalf("malformed line: %v", err)
	}
	if _, err := keys.Enroll(ctx, "carol", devs["alice"].Enrollment(), "@carol:hs/DEV"); !errors.Is(err, ErrKeyTaken) {
		t.Fatalf("alice's key enrolled by carol: %v", err)
	}
	k, err := keys.Enroll(ctx, "carol", phone.Enrollment(), "@carol:hs/DEV")
	if err != nil || k.ID != phone.ID {
		t.Fatalf("enroll: %v", err)
	}
	if _, err = keys.Enroll(ctx, "carol", phone.Enrollment(), "@carol:hs/DEV"); err != nil {
		t.Fatalf("enrolling the same key again should be a no-op: %v", err)
	}
	mine, _ := keys.KeysOf(ctx, "carol")
	if len(mine) != 1 || mine[0].Source != "@carol:hs/DEV" {
		t.Fatalf("carol's keys: %+v", mine)
	}

	req := h.hold(t, "aa")
	chs, _ := h.store.ListChallenges(ctx, req.ID)
	if len(chs) != 3 {
		t.Fatalf("%d challenges, want one per key (two from the config, one enrolled)", len(chs))
	}
	if res := h.signedVote(t, req.ID, signFor(t, h, req, phone, "approve")); !res.Counted {
		t.Fatalf("vote signed by an enrolled key: %s", res.Reason)
	}

	// Revoke by fingerprint (as people read it), and a config key by its id.
	if _, err = keys.Revoke(ctx, "carol", devs["alice"].Fingerprint(), "@carol:hs/DEV"); !errors.Is(err, ErrKeyUnknown) {
		t.Fatalf("carol revoked alice's key: %v", err)
	}
	if _, err = keys.Revoke(ctx, "carol", phone.Fingerprint(), "@carol:hs/DEV"); err != nil {
		t.Fatal(err)
	}
	if _, err = keys.Revoke(ctx, "bob", devs["bob"].ID, "@bob:hs/DEV"); err != nil {
		t.Fatal(err)
	}
	if _, err = keys.Enroll(ctx, "carol", phone.Enrollment(), "@carol:hs/DEV"); !errors.Is(err, ErrKeyRevoked) {
		t.Fatalf("re-enrolling a revoked key: %v", err)
	}
	bobVote := signFor(t, h, req, devs["bob"], "approve")
	if res := h.signedVote(t, req.ID, bobVote); res.Counted || !strings.Contains(res.Reason, "unknown or revoked key") {
		t.Fatalf("vote by a revoked config key: %+v", res)
	}
	next := h.hold(t, "bb")
	chs, _ = h.store.ListChallenges(ctx, next.ID)
	if len(chs) != 1 || chs[0].KeyID != devs["alice"].ID {
		t.Fatalf("challenges after revocations: %+v", chs)
	}

	// Both changes are in the audit chain, which still verifies.
	kinds := map[string]int{}
	if err = h.store.EachAudit(ctx, func(e *store.AuditEntry) error { kinds[e.Kind]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if kinds["device_key_enrolled"] != 1 || kinds["device_key_revoked"] != 2 {
		t.Fatalf("audit kinds: %v", kinds)
	}
	if _, err = h.store.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
