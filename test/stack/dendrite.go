package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Dendrite is a running Dendrite homeserver for server name "localhost".
type Dendrite struct {
	URL    string
	Domain string
	Dir    string
	tools  *Tools
	proc   *Proc
	args   []string // how Start runs the dendrite binary
}

// StartDendrite configures a fresh Dendrite in dir that loads the given appservice
// registrations, and starts it on 127.0.0.1:port (a free port when port is 0).
func StartDendrite(ctx context.Context, tools *Tools, dir string, port int, registrations ...string) (*Dendrite, error) {
	bin := func(name string) string { return filepath.Join(tools.DendriteDir, name) }
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, "matrix_key.pem")
	if out, err := exec.CommandContext(ctx, bin("generate-keys"), "--private-key", keyPath).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dendrite generate-keys: %v: %s", err, out)
	}
	raw, err := exec.CommandContext(ctx, bin("generate-config"), "-dir", dir, "-server", "localhost").Output()
	if err != nil {
		return nil, fmt.Errorf("dendrite generate-config: %w", err)
	}
	var cfg map[string]any
	if err = yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("dendrite config: %w", err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	set := func(value any, path ...string) {
		m := cfg
		for _, key := range path[:len(path)-1] {
			m = m[key].(map[string]any)
		}
		m[path[len(path)-1]] = value
	}
	set(keyPath, "global", "private_key")
	set(true, "global", "disable_federation")
	set(false, "global", "server_notices", "enabled")
	set(registrations, "app_service_api", "config_files")
	set(hex.EncodeToString(secret), "client_api", "registration_shared_secret")
	set(false, "client_api", "rate_limiting", "enabled")
	set([]any{map[string]any{"type": "file", "level": "warn", "params": map[string]any{"path": filepath.Join(dir, "log")}}}, "logging")
	raw, err = yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	configPath := filepath.Join(dir, "dendrite.yaml")
	if err = os.WriteFile(configPath, raw, 0o600); err != nil {
		return nil, err
	}
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	port2, err := FreePort()
	if err != nil {
		return nil, err
	}
	d := &Dendrite{URL: "http://127.0.0.1:" + strconv.Itoa(port), Domain: "localhost", Dir: dir, tools: tools,
		args: []string{"-config", configPath, "-http-bind-address", "127.0.0.1:" + strconv.Itoa(port),
			"-https-bind-address", "127.0.0.1:" + strconv.Itoa(port2)}}
	if err = d.Start(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Start starts (or, after Stop, restarts) the homeserver on its configuration and database,
// and waits until it answers.
func (d *Dendrite) Start(ctx context.Context) error {
	var err error
	d.proc, err = StartProc("dendrite", filepath.Join(d.Dir, "dendrite.out"), nil, nil,
		filepath.Join(d.tools.DendriteDir, "dendrite"), d.args...)
	if err != nil {
		return err
	}
	if err = WaitHTTP(ctx, d.URL+"/_matrix/client/versions", d.proc); err != nil {
		d.Stop()
		return err
	}
	return nil
}

// CreateAccount registers a user with a password.
func (d *Dendrite) CreateAccount(ctx context.Context, user, password string) error {
	out, err := exec.CommandContext(ctx, filepath.Join(d.tools.DendriteDir, "create-account"),
		"-config", filepath.Join(d.Dir, "dendrite.yaml"), "-url", d.URL, "-username", user, "-password", password).CombinedOutput()
	if err != nil {
		return fmt.Errorf("dendrite create-account %s: %v: %s", user, err, out)
	}
	return nil
}

// UserID returns the full Matrix id of a local user.
func (d *Dendrite) UserID(user string) string { return "@" + user + ":" + d.Domain }

// BaseURL is where the client API answers.
func (d *Dendrite) BaseURL() string { return d.URL }

// Kind names the homeserver.
func (d *Dendrite) Kind() string { return "dendrite" }

// Remove does nothing: Dendrite keeps everything in the stack's folder.
func (d *Dendrite) Remove() {}

// Stop stops the homeserver.
func (d *Dendrite) Stop() {
	if d.proc != nil {
		d.proc.Stop()
	}
}
