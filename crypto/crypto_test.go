package crypto

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
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
