package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestHomeserverAdminCannotForgeDeviceVotes plays the homeserver admin against a policy that
// needs `device` assurance, on the real Dendrite with matrix-js-sdk clients:
//   - a device the admin adds to the approver's account (a second login) cannot verify with the
//     bot by emoji, and its encrypted "approve" and `!sg enroll` are refused with the reason;
//   - a reply whose cleartext m.relates_to points at another card (which the admin can rewrite)
//     does not count there: the match code inside the ciphertext names the card it was for;
//   - when the admin resets the approver's cross-signing (a new master key), every device under
//     it stops counting, the DM and the approvals room are told, enrolment is refused, and only
//     the operator's `seedgate trust repin` (audited) makes it count again.
func TestHomeserverAdminCannotForgeDeviceVotes(t *testing.T) {
	ctx, s := upStack(t, 5*time.Minute, stack.Options{Approvers: []string{"alice"}, MinAssurance: "device"})
	alice := s.Clients["alice"]
	dmJoin, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "joined" && m.Direct })
	if err != nil {
		t.Fatal(err)
	}
	dm := dmJoin.RoomID
	if err = alice.CrossSign(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := func(hash string) {
		t.Helper()
		if state, _, _ := s.QB.State(ctx, hash); !stack.IsStopped(state) {
			t.Fatalf("torrent %s moved: %s", hash, state)
		}
	}

	// Two cards. alice's trusted device answers card A with A's code, but the reply's
	// cleartext points at card B: that is what an admin who rewrites m.relates_to achieves.
	tfA, cardA := addHeld(ctx, t, s, alice, "card-a.bin")
	tfB, cardB := addHeld(ctx, t, s, alice, "card-b.bin")
	if _, err = alice.Reply(ctx, cardB.RoomID, cardB.EventID, "approve "+matchCode(t, cardA)); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, cardB.EventID, "the match code does not match this request")
	// Without any code the reply says nothing about which card it was for.
	if _, err = alice.Reply(ctx, cardB.RoomID, cardB.EventID, "approve"); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, cardB.EventID, "an encrypted reply must name its card's match code (“approve "+matchCode(t, cardB)+"”)")
	stopped(tfB.Hash)
	// With its own code it counts (and the bot pinned alice's master key on the way).
	if _, err = alice.Reply(ctx, cardA.RoomID, cardA.EventID, "approve "+matchCode(t, cardA)); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, alice, cardA.EventID, "approve counted")
	waitTorrentState(ctx, t, s.QB, tfA.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })

	// The admin logs in as alice: a new device, which nobody cross-signed.
	admin, err := s.NewDevice(ctx, "alice", "admin")
	if err != nil {
		t.Fatal(err)
	}
	// Phase 5 is matrix-js-sdk's Cancelled; m.user is the code the bot cancels with.
	if _, err = admin.Verify(ctx, dm, cardA.Sender); err == nil || !strings.Contains(err.Error(), "ended in phase 5 (m.user)") {
		t.Fatalf("the admin's device verified with the bot: %v", err)
	}
	waitNotice(ctx, t, admin, dm, "I refused to verify with your device")
	if _, err = admin.Reply(ctx, cardB.RoomID, cardB.EventID, "approve "+matchCode(t, cardB)); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, admin, cardB.EventID, "your device is not trusted: the device is not cross-signed by its owner")
	device := newApproverDevice(ctx, t, s.Seedgate.Bin, t.TempDir()+"/admin.key")
	sent, err := admin.Reply(ctx, dm, "", "!sg enroll "+device.enrollment)
	if err != nil {
		t.Fatal(err)
	}
	waitReplyTo(ctx, t, admin, dm, sent, "does not count for device keys: the device is not cross-signed by its owner")
	stopped(tfB.Hash)

	// The admin resets alice's cross-signing from that device: a new master key signs it.
	if err = admin.CrossSign(ctx); err != nil {
		t.Fatal(err)
	}
	waitNotice(ctx, t, alice, dm, "The cross-signing identity of "+alice.UserID+" changed")
	waitNotice(ctx, t, alice, cardB.RoomID, "The cross-signing identity of "+alice.UserID+" changed")
	if _, err = admin.Reply(ctx, cardB.RoomID, cardB.EventID, "approve "+matchCode(t, cardB)); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, admin, cardB.EventID, "master key) changed since I first saw it")
	if sent, err = admin.Reply(ctx, dm, "", "!sg enroll "+device.enrollment); err != nil {
		t.Fatal(err)
	}
	waitReplyTo(ctx, t, admin, dm, sent, "master key) changed since I first saw it")
	stopped(tfB.Hash)

	// The operator checks the new key with alice and re-pins it: from then on it counts.
	out, err := exec.CommandContext(ctx, s.Seedgate.Bin, "trust", "-c", s.Seedgate.ConfigPath).CombinedOutput()
	if err != nil {
		t.Fatalf("seedgate trust: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`seedgate trust repin (\S+) (\S+)`).FindStringSubmatch(string(out))
	if m == nil || m[1] != alice.UserID {
		t.Fatalf("seedgate trust shows no changed key for %s:\n%s", alice.UserID, out)
	}
	if out, err = exec.CommandContext(ctx, s.Seedgate.Bin, "trust", "repin", m[1], "not-the-key", "-c", s.Seedgate.ConfigPath).CombinedOutput(); err == nil {
		t.Fatalf("re-pinned a key that was never seen: %s", out)
	}
	if out, err = exec.CommandContext(ctx, s.Seedgate.Bin, "trust", "repin", m[1], m[2], "-c", s.Seedgate.ConfigPath).CombinedOutput(); err != nil {
		t.Fatalf("seedgate trust repin: %v\n%s", err, out)
	}
	if _, err = admin.Reply(ctx, cardB.RoomID, cardB.EventID, "approve "+matchCode(t, cardB)); err != nil {
		t.Fatal(err)
	}
	waitThreadNotice(ctx, t, admin, cardB.EventID, "approve counted")
	entries := auditEntries(ctx, t, s)
	for kind, want := range map[string]int{"master_key_pinned": 1, "master_key_changed": 1, "master_key_repinned": 1} {
		if got := countAudit(entries, kind); got != want {
			t.Errorf("audit has %d %s, want %d", got, kind, want)
		}
	}
	auditIntact(ctx, t, s)
}
