package approval

import (
	"context"
	"strings"
	"testing"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// signedHarness enrols a device for alice and bob and asks for signatures.
func signedHarness(t *testing.T, quorum int) (*harness, map[string]*crypto.DevicePrivate) {
	t.Helper()
	h := newHarness(t, quorum)
	devices := map[string]*crypto.DevicePrivate{}
	for i, name := range []string{"alice", "bob"} {
		d, err := crypto.GenerateDevice()
		if err != nil {
			t.Fatal(err)
		}
		devices[name] = d
		h.cfg.Approvers[i].DeviceKeys = []string{d.Enrollment()}
	}
	h.cfg.Policies[0].MinAssurance = config.AssuranceSignature
	return h, devices
}

// signFor opens the challenge sealed to dev for req, as the device tool would, and signs it.
func signFor(t *testing.T, h *harness, req *store.Request, dev *crypto.DevicePrivate, decision string) *crypto.SignedVote {
	t.Helper()
	v, err := crypto.ParseVote(signedLine(t, h, req, dev, decision))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signedLine is signFor's vote as the line the device tool prints.
func signedLine(t *testing.T, h *harness, req *store.Request, dev *crypto.DevicePrivate, decision string) string {
	t.Helper()
	chs, err := h.store.ListChallenges(context.Background(), req.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chs {
		if ch.KeyID != dev.ID {
			continue
		}
		c, err := crypto.OpenChallenge(dev, []crypto.GatewayPublic{{ID: h.gateway.ID, Pub: h.gateway.Pub}}, ch.Blob, h.clock)
		if err != nil {
			t.Fatal(err)
		}
		line, err := crypto.SignVote(dev, c, decision)
		if err != nil {
			t.Fatal(err)
		}
		return line
	}
	t.Fatalf("no challenge sealed to %s", dev.ID)
	return ""
}

func (h *harness) signedVote(t *testing.T, requestID string, v *crypto.SignedVote) *Result {
	t.Helper()
	res, err := h.svc.Vote(context.Background(), Ballot{RequestID: requestID, Voter: "+15550001", Signed: v, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSignedVotes(t *testing.T) {
	h, devs := signedHarness(t, 2)
	a := h.hold(t, "aa")
	b := h.hold(t, "bb")
	chs, _ := h.store.ListChallenges(context.Background(), a.ID)
	if len(chs) != 2 {
		t.Fatalf("%d challenges sealed, want one per enrolled device", len(chs))
	}
	for _, ch := range chs {
		if strings.Contains(ch.Blob, a.TorrentName) || len(ch.TokenHash) != 64 {
			t.Fatalf("challenge stored in the clear or token not hashed: %+v", ch)
		}
	}

	if res := h.vote(t, a, "@alice:hs", "approve"); res.Counted || !strings.Contains(res.Reason, "needs a signed approval") {
		t.Fatalf("reaction where a signature is required: %+v", res)
	}
	aliceA := signFor(t, h, a, devs["alice"], "approve")
	if res := h.signedVote(t, a.ID, aliceA); !res.Counted {
		t.Fatalf("alice's signed approval: %s", res.Reason)
	}
	if res := h.signedVote(t, a.ID, aliceA); res.Counted || !strings.Contains(res.Reason, "already used") {
		t.Fatalf("second use: %+v", res.Reason)
	}
	if res := h.signedVote(t, b.ID, aliceA); res.Counted || !strings.Contains(res.Reason, "wrong request") {
		t.Fatalf("replayed onto another request: %+v", res.Reason)
	}
	if h.state(t, a.ID).State != store.RequestPending {
		t.Fatal("one person decided a 2-of-3 request")
	}
	stranger, _ := crypto.GenerateDevice()
	forged := *aliceA
	forged.KeyID = stranger.ID
	if res := h.signedVote(t, a.ID, &forged); res.Counted || !strings.Contains(res.Reason, "unknown or revoked key") {
		t.Fatalf("unenrolled key: %+v", res.Reason)
	}
	if res := h.signedVote(t, a.ID, signFor(t, h, a, devs["bob"], "approve")); !res.Counted || h.state(t, a.ID).State != store.RequestApproved {
		t.Fatalf("bob's signed approval should complete the quorum: %+v", res.Reason)
	}

	// Revoking a key (removing it from the config) makes its votes worthless at once.
	h.cfg.Approvers[1].DeviceKeys = nil
	if res := h.signedVote(t, b.ID, signFor(t, h, b, devs["bob"], "deny")); res.Counted || !strings.Contains(res.Reason, "unknown or revoked key") {
		t.Fatalf("revoked key: %+v", res.Reason)
	}
}

// Two approvers' signed lines pasted into one message are two votes: each is verified and
// counted on its own, and neither is taken for a replay of the other.
func TestTwoSignedLinesInOneMessageBothCount(t *testing.T) {
	h, devs := signedHarness(t, 2)
	req := h.hold(t, "aa")
	for i, name := range []string{"alice", "bob"} {
		key := "$message/" + string(rune('1'+i))
		res, err := h.svc.Vote(context.Background(), Ballot{Voter: "@alice:hs", Signed: signFor(t, h, req, devs[name], "approve"),
			Source: "signed reply " + key, ReplayKey: key})
		if err != nil || !res.Counted || res.Replayed {
			t.Fatalf("line %d (%s): %+v %v", i+1, name, res, err)
		}
	}
	if got := h.state(t, req.ID).State; got != store.RequestApproved {
		t.Fatalf("two signed approvals in one message left the request %s", got)
	}
}
