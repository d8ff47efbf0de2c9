package crypto

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestMatchCodes(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$`)
	seen := map[string]bool{}
	for range 1000 {
		c := NewMatchCode()
		if !re.MatchString(c) {
			t.Fatalf("match code %q has the wrong form", c)
		}
		seen[c] = true
	}
	// 30 bits: 1000 draws collide with probability below 0.05%.
	if len(seen) < 999 {
		t.Fatalf("only %d distinct codes in 1000", len(seen))
	}
	if NormalizeMatchCode(" 7kq-x3p ") != "7KQX3P" || NormalizeMatchCode("ol1-abc") != "011ABC" {
		t.Fatal("normalisation")
	}
}

func TestRequestIDs(t *testing.T) {
	a, b := NewRequestID(), NewRequestID()
	if len(a) != 16 || a == b {
		t.Fatalf("request ids %q %q", a, b)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "pickle.key")
	k1, err := LoadOrCreateSecret(path, 32)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %o, want 600", info.Mode().Perm())
	}
	k2, err := LoadOrCreateSecret(path, 32)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("reloading gave another key: %v", err)
	}
	if err = os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = LoadOrCreateSecret(path, 32); !errors.Is(err, ErrLoosePermissions) {
		t.Fatalf("world-readable key file accepted: %v", err)
	}
	_ = os.Chmod(path, 0o600)
	if _, err = LoadOrCreateSecret(path, 16); err == nil {
		t.Fatal("wrong-length key accepted")
	}
	if err = os.WriteFile(path, []byte("not base64 %%% secret-ish"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSecret(path)
	if err == nil || regexp.MustCompile(`secret-ish|%%%`).MatchString(err.Error()) {
		t.Fatalf("bad key file: %v (must fail without quoting the file)", err)
	}
}

func TestGatewayKeyRotation(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_800_000_000, 0)
	old, err := LoadOrCreateGatewayKey(filepath.Join(dir, GatewayKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	staged, next, err := RotateGatewayKey(dir, now)
	if err != nil || !staged || next.ID == old.ID {
		t.Fatalf("stage: %v %v", staged, err)
	}
	dev, _ := GenerateDevice()
	// During the overlap a device that pins both keys opens challenges signed by either.
	pinned := []GatewayPublic{{ID: old.ID, Pub: old.Pub}, {ID: next.ID, Pub: next.Pub}}
	for _, gw := range []*GatewayKey{old, next} {
		blob, _ := SealChallenge(gw, dev.DeviceKey, testChallenge(now))
		if _, err := OpenChallenge(dev, pinned, blob, now); err != nil {
			t.Fatalf("overlap: %v", err)
		}
	}
	staged, promoted, err := RotateGatewayKey(dir, now)
	if err != nil || staged || promoted.ID != next.ID {
		t.Fatalf("promote: %v %v", staged, err)
	}
	current, err := LoadOrCreateGatewayKey(filepath.Join(dir, GatewayKeyFile))
	if err != nil || current.ID != next.ID {
		t.Fatalf("current key after promotion: %v", err)
	}
	if n, _ := LoadNextGatewayKey(dir); n != nil {
		t.Fatal("next key still staged after promotion")
	}
	if _, err := os.Stat(filepath.Join(dir, "gateway.retired-1800000000.key")); err != nil {
		t.Fatalf("old key not kept: %v", err)
	}
	parsed, err := ParseGatewayPublic(current.Public())
	if err != nil || parsed.ID != current.ID {
		t.Fatalf("public line round trip: %v", err)
	}
}
