package crypto

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pynacl runs one PyNaCl operation. Debian's python3-nacl is the libsodium binding approvers'
// phones would use; it fails the test in CI when missing and skips elsewhere.
func pynacl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return pynaclScript(t, "testdata/pynacl.py", args...)
}

// pynaclScript runs a Python script that needs PyNaCl, with args.
func pynaclScript(t *testing.T, script string, args ...string) (string, error) {
	t.Helper()
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import nacl").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PyNaCl unavailable in CI (apt-get install python3-nacl): %v", err)
		}
		t.Skipf("PyNaCl unavailable (outside CI, so skipping): %v", err)
	}
	out, err := exec.Command(python, append([]string{script}, args...)...).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("%w: %s", err, exit.Stderr)
	}
	return strings.TrimSpace(string(out)), err
}

func testChallenge(now time.Time) Challenge {
	return Challenge{
		RequestID: "req0000000000001", Binding: Binding{Client: "seedbox", TorrentHash: strings.Repeat("ab", 20), Action: "add", Host: "box.example"},
		TorrentName: "debian-12.iso", TorrentSize: 658505728, IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		MatchCode: "7KQ-X3P", Token: NewToken(), OnApprove: "resume", OnDeny: "remove",
	}
}

func TestInteropSealedBoxes(t *testing.T) {
	now := time.Now()
	gw := gatewayKeyFromSeed(randomBytes(32))
	dev, err := GenerateDevice()
	if err != nil {
		t.Fatal(err)
	}
	c := testChallenge(now)

	// seedgate seals, libsodium opens.
	blob, err := SealChallenge(gw, dev.DeviceKey, c)
	if err != nil {
		t.Fatal(err)
	}
	_, sealed, err := splitBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := pynacl(t, "open", hex.EncodeToString(dev.boxPriv[:]), hex.EncodeToString(sealed))
	if err != nil {
		t.Fatalf("PyNaCl could not open seedgate's sealed box: %v", err)
	}
	raw, _ := hex.DecodeString(plain)
	if !strings.Contains(string(raw), `"name":"debian-12.iso"`) || !strings.Contains(string(raw), `"code":"7KQ-X3P"`) {
		t.Fatalf("PyNaCl opened something else: %s", raw)
	}

	// libsodium seals the gateway-signed payload, seedgate opens it.
	payload, err := signedPayload(gw, dev.ID, c)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := pynacl(t, "seal", hex.EncodeToString(dev.BoxPub[:]), hex.EncodeToString(payload))
	if err != nil {
		t.Fatal(err)
	}
	ctRaw, _ := hex.DecodeString(ct)
	opened, err := OpenChallenge(dev, []GatewayPublic{{ID: gw.ID, Pub: gw.Pub}}, blobPrefix+dev.ID+"."+b64.EncodeToString(ctRaw), now)
	if err != nil {
		t.Fatalf("seedgate could not open PyNaCl's sealed box: %v", err)
	}
	if opened.TorrentName != c.TorrentName || opened.MatchCode != c.MatchCode || string(opened.Token) != string(c.Token) {
		t.Fatalf("opened challenge differs: %+v", opened)
	}
}

func TestInteropSignatures(t *testing.T) {
	now := time.Now()
	dev, err := GenerateDevice()
	if err != nil {
		t.Fatal(err)
	}
	c := testChallenge(now)

	// seedgate signs a vote, libsodium verifies it.
	line, err := SignVote(dev, &c, "approve")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVote(line)
	if err != nil {
		t.Fatal(err)
	}
	msg := voteSignedBytes(v.RequestID, v.Decision, v.Binding, v.ExpiresAt.Unix(), v.Token)
	if _, err = pynacl(t, "verify", hex.EncodeToString(dev.SignPub), hex.EncodeToString(msg), hex.EncodeToString(v.Signature)); err != nil {
		t.Fatalf("PyNaCl rejects seedgate's signature: %v", err)
	}
	// ... and rejects it over another decision.
	other := voteSignedBytes(v.RequestID, "deny", v.Binding, v.ExpiresAt.Unix(), v.Token)
	if _, err = pynacl(t, "verify", hex.EncodeToString(dev.SignPub), hex.EncodeToString(other), hex.EncodeToString(v.Signature)); err == nil {
		t.Fatal("PyNaCl accepted a signature over another message")
	}

	// libsodium signs, seedgate verifies.
	sigHex, err := pynacl(t, "sign", hex.EncodeToString(dev.signPriv.Seed()), hex.EncodeToString(msg))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := hex.DecodeString(sigHex)
	if len(sig) != ed25519.SignatureSize {
		t.Fatalf("signature length %d", len(sig))
	}
	v.Signature = sig
	if err = v.VerifySignature(dev.DeviceKey); err != nil {
		t.Fatalf("seedgate rejects PyNaCl's signature: %v", err)
	}
}
