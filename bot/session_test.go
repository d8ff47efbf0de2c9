package bot

import (
	"strings"
	"testing"
)

// TestSessionIsSealedWithThePickleKey: the kept token opens only under the pickle key that
// sealed it, never appears in the sealed form, and damage reads as "no session".
func TestSessionIsSealedWithThePickleKey(t *testing.T) {
	key, other := []byte(strings.Repeat("k", 32)), []byte(strings.Repeat("o", 32))
	sealed, err := sealSession(key, "DEVICE", "syt_secret_token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "syt_secret_token") || strings.Contains(sealed, "DEVICE") {
		t.Fatalf("sealed session shows its contents: %s", sealed)
	}
	if device, token, ok := openSession(key, sealed); !ok || device != "DEVICE" || token != "syt_secret_token" {
		t.Fatalf("openSession = %q, %q, %v", device, token, ok)
	}
	damaged := sealed[:len(sealed)-4] + "AAAA"
	for name, tc := range map[string]struct {
		key    []byte
		sealed string
	}{"another pickle key": {other, sealed}, "damaged": {key, damaged}, "not base64": {key, "%%%"}, "empty": {key, ""}} {
		if _, _, ok := openSession(tc.key, tc.sealed); ok {
			t.Errorf("%s: opened", name)
		}
	}
}
