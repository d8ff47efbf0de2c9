package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An empty secret file is a configuration error naming its key, never an empty secret: an HMAC
// keyed with nothing is one anybody can compute.
func TestEmptySecretFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := strings.Replace(validConfig, "password: hunter2", "password_file: "+empty, 1) +
		"api:\n  listen: 127.0.0.1:0\n  callers:\n    - {name: sonarr, token_file: " + empty + "}\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if !errors.Is(err, ErrEmptySecretFile) {
		t.Fatalf("load with empty secret files: %v", err)
	}
	for _, key := range []string{"torrent_clients[0].password_file", "api.callers[0].token_file"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
	for _, inline := range []string{"", "  "} {
		if _, err := ReadSecret(inline, empty); !errors.Is(err, ErrEmptySecretFile) {
			t.Errorf("ReadSecret(%q, empty file): %v", inline, err)
		}
	}
	if _, err := ReadSecret("", ""); err == nil {
		t.Error("ReadSecret with neither inline nor file: no error")
	}
}
