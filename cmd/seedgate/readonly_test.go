package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Commands that only read (keys, audit verify, trust, outbox list) create nothing: no
// database, no key file. Run with a config that points at a fresh folder, the folder stays
// empty and each says what is missing.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(dir, "config.yaml")
	config := `
homeserver: {address: "http://127.0.0.1:1", domain: example.org}
database: {path: ` + filepath.Join(data, "seedgate.db") + `, keys_dir: ` + data + `}
approvers:
  - {name: alice, matrix_ids: ["@alice:example.org"]}
torrent_clients:
  - {name: box, type: qbittorrent, url: "http://127.0.0.1:1", password: hunter2}
policies:
  - {name: p, events: [added]}
`
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	runs := map[string]func(*bytes.Buffer) int{
		"keys":         func(e *bytes.Buffer) int { return runKeys([]string{"-c", configPath}, &bytes.Buffer{}, e) },
		"trust":        func(e *bytes.Buffer) int { return runTrust([]string{"-c", configPath}, &bytes.Buffer{}, e) },
		"outbox list":  func(e *bytes.Buffer) int { return runOutbox([]string{"list", "-c", configPath}, &bytes.Buffer{}, e) },
		"audit verify": func(*bytes.Buffer) int { return runAudit([]string{"verify", "-c", configPath}) },
	}
	for name, run := range runs {
		var stderr bytes.Buffer
		if code := run(&stderr); code == 0 {
			t.Errorf("%s succeeded on a folder with nothing in it", name)
		}
		if name != "audit verify" && !strings.Contains(stderr.String(), "no such file") && !strings.Contains(stderr.String(), "no database yet") {
			t.Errorf("%s does not say what is missing: %s", name, stderr.String())
		}
		entries, err := os.ReadDir(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("%s created %s", name, entries[0].Name())
		}
	}
}
