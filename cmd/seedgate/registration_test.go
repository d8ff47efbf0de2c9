package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"maunium.net/go/mautrix/appservice"
)

// `-g` needs only the homeserver and appservice sections (torrent passwords may still be
// missing), refuses the example's domain, and keeps an existing registration's tokens.
func TestGenerateRegistrationCannotHurt(t *testing.T) {
	dir := t.TempDir()
	write := func(domain string) string {
		path := filepath.Join(dir, "config.yaml")
		config := "homeserver: {address: \"http://127.0.0.1:8008\", domain: " + domain + "}\n" +
			"torrent_clients:\n  - {name: box, type: qbittorrent, url: \"http://127.0.0.1:8080\"}\n" // no password yet
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	reg := filepath.Join(dir, "registration.yaml")
	var out, errs bytes.Buffer
	if code := generateRegistration(write("example.org"), reg, false, &out, &errs); code == 0 || !strings.Contains(errs.String(), "still the example's example.org") {
		t.Fatalf("example domain: %d %s", code, errs.String())
	}
	if _, err := os.Stat(reg); err == nil {
		t.Fatal("a registration was written for the example domain")
	}
	cfg := write("seedbox.test")
	if code := generateRegistration(cfg, reg, false, &out, &errs); code != 0 {
		t.Fatalf("first -g: %d %s", code, errs.String())
	}
	first, err := appservice.LoadRegistration(reg)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := generateRegistration(cfg, reg, false, &out, &errs); code != 0 || !strings.Contains(out.String(), "keeping its tokens") {
		t.Fatalf("second -g: %d %s %s", code, out.String(), errs.String())
	}
	second, _ := appservice.LoadRegistration(reg)
	if second.AppToken != first.AppToken || second.ServerToken != first.ServerToken || second.SenderLocalpart != first.SenderLocalpart {
		t.Fatal("regenerating moved the bot or changed its tokens")
	}
	if code := generateRegistration(cfg, reg, true, &out, &errs); code != 0 {
		t.Fatal(errs.String())
	}
	third, _ := appservice.LoadRegistration(reg)
	if third.AppToken == first.AppToken || third.SenderLocalpart != first.SenderLocalpart {
		t.Fatal("-rotate must change the tokens and keep the bot")
	}
}
