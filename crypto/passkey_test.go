package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestApprovalLinksNameOneRequestAndPerson(t *testing.T) {
	secret := bytes.Repeat([]byte{1}, 32)
	token := ApprovalLink(secret, "req1", "alice")
	if id, who, err := ParseApprovalLink(secret, token); err != nil || id != "req1" || who != "alice" {
		t.Fatalf("parse: %q %q %v", id, who, err)
	}
	parts := strings.Split(token, ".")
	forged := []string{
		ApprovalLink(bytes.Repeat([]byte{2}, 32), "req1", "alice"),           // another seedgate's secret
		b64.EncodeToString([]byte("req2")) + "." + parts[1] + "." + parts[2], // another request, same MAC
		parts[0] + "." + b64.EncodeToString([]byte("")) + "." + parts[2],     // the person dropped
		parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-2],         // a MAC cut short
		token + ".x", "", "...", strings.Repeat("a", 600),
	}
	for _, f := range forged {
		if _, _, err := ParseApprovalLink(secret, f); !errors.Is(err, ErrBadLink) {
			t.Errorf("%q parsed: %v", f, err)
		}
	}
}

func TestPasskeyChallengeCoversEveryField(t *testing.T) {
	b := Binding{Client: "qb", TorrentHash: strings.Repeat("ab", 20), Action: "resume", Host: "seedbox"}
	nonce := bytes.Repeat([]byte{3}, PasskeyNonceBytes)
	base := PasskeyChallenge("req1", b, "approve", nonce)
	other := b
	other.Host = "other"
	variants := map[string][]byte{
		"request": PasskeyChallenge("req2", b, "approve", nonce),
		"binding": PasskeyChallenge("req1", other, "approve", nonce),
		"outcome": PasskeyChallenge("req1", b, "deny", nonce),
		"nonce":   PasskeyChallenge("req1", b, "approve", bytes.Repeat([]byte{4}, PasskeyNonceBytes)),
	}
	for field, v := range variants {
		if bytes.Equal(v, base) {
			t.Errorf("changing the %s left the challenge the same", field)
		}
	}
	if !bytes.Equal(base, PasskeyChallenge("req1", b, "approve", nonce)) {
		t.Error("the challenge is not deterministic")
	}
	if !bytes.Equal(PasskeyUserHandle(nonce, "alice"), PasskeyUserHandle(nonce, "alice")) || bytes.Equal(PasskeyUserHandle(nonce, "alice"), PasskeyUserHandle(nonce, "bob")) {
		t.Error("user handles are not one per person")
	}
}
