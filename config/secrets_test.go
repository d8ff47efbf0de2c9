package config

import (
	"errors"
	"fmt"
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

}

// The couriers' secrets load with the rest: from their files at Load, refused when set both
// inline and in a file, and never printed.
func TestBridgeSecretsLoadWithTheConfig(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "twilio.token")
	if err := os.WriteFile(token, []byte("tw-secret-5f3a9c7e1b2d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bridges := "bridges:\n  webhook_listen: 127.0.0.1:0\n  public_url: https://seedgate.example.org\n" +
		"  twilio: {account_sid: AC0123456789abcdef0123456789abcdef, messaging_service_sid: MG0123456789abcdef0123456789abcdef, auth_token_file: " + token + "}\n"
	load := func(extra string) (*Config, error) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(validConfig+bridges+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path)
	}
	cfg, err := load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bridges.Twilio.AuthToken.Value() != "tw-secret-5f3a9c7e1b2d" {
		t.Fatal("the Twilio auth token was not read from its file at load")
	}
	if printed := fmt.Sprintf("%v %+v", cfg.Bridges.Twilio, cfg.Bridges.Twilio); strings.Contains(printed, "tw-secret") {
		t.Fatalf("the token prints: %s", printed)
	}
	bridges = strings.Replace(bridges, "auth_token_file:", "auth_token: inline-too, auth_token_file:", 1)
	if _, err = load(""); err == nil || !strings.Contains(err.Error(), "bridges.twilio.auth_token: set either") {
		t.Fatalf("a token set inline and in a file: %v", err)
	}
}
