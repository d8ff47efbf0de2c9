package stack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Synapse is a running Synapse homeserver for server name "localhost". It runs from Debian
// sid's matrix-synapse package inside a small sid root (hack/deps.sh builds it under .cache),
// since the host's Debian does not package it; the network is shared, so it listens on
// 127.0.0.1 like everything else. Its files live inside that root, under sg/.
type Synapse struct {
	URL    string
	Domain string
	// Dir is the homeserver's folder as seen from the host; inside the root it is dataDir.
	Dir     string
	dataDir string
	logDir  string // where Stop copies the homeserver's log (the stack's folder)
	root    string
	secret  string
	proc    *Proc
}

// StartSynapse configures a fresh Synapse that loads the given appservice registrations
// (copied into its folder) and serves the client API on 127.0.0.1:port (free when 0), with the
// appservice extensions seedgate can use: to-device events and device lists in transactions
// (MSC2409, MSC3202) and appservice-created devices (MSC4190, asked for by the registration).
func StartSynapse(ctx context.Context, tools *Tools, logDir string, port int, registrations ...string) (*Synapse, error) {
	if tools.SynapseRoot == "" {
		return nil, fmt.Errorf("synapse root not found (run `make deps`)")
	}
	name := make([]byte, 6)
	_, _ = rand.Read(name)
	dataDir := "/sg/" + hex.EncodeToString(name)
	dir := filepath.Join(tools.SynapseRoot, dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var inside []string
	for i, reg := range registrations {
		raw, err := os.ReadFile(reg)
		if err != nil {
			return nil, err
		}
		target := fmt.Sprintf("%s/registration-%d.yaml", dataDir, i)
		if err = os.WriteFile(filepath.Join(tools.SynapseRoot, target), raw, 0o600); err != nil {
			return nil, err
		}
		inside = append(inside, target)
	}
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	unlimited := map[string]any{"per_second": 10000, "burst_count": 10000}
	cfg := map[string]any{
		"server_name": "localhost",
		"pid_file":    dataDir + "/homeserver.pid",
		"listeners": []any{map[string]any{"port": port, "bind_addresses": []string{"127.0.0.1"}, "type": "http", "tls": false,
			"x_forwarded": false, "resources": []any{map[string]any{"names": []string{"client"}, "compress": false}}}},
		"database":                    map[string]any{"name": "sqlite3", "args": map[string]any{"database": dataDir + "/homeserver.db"}},
		"log_config":                  dataDir + "/log.yaml",
		"media_store_path":            dataDir + "/media",
		"signing_key_path":            dataDir + "/signing.key",
		"report_stats":                false,
		"registration_shared_secret":  hex.EncodeToString(secret),
		"enable_registration":         false,
		"app_service_config_files":    inside,
		"trusted_key_servers":         []any{},
		"suppress_key_server_warning": true,
		"federation_domain_whitelist": []any{},
		"rc_message":                  unlimited,
		"rc_registration":             unlimited,
		"rc_login":                    map[string]any{"address": unlimited, "account": unlimited, "failed_attempts": unlimited},
		"rc_joins":                    map[string]any{"local": unlimited, "remote": unlimited},
		"rc_invites":                  map[string]any{"per_room": unlimited, "per_user": unlimited, "per_issuer": unlimited},
		"rc_admin_redaction":          unlimited,
		"rc_key_requests":             unlimited,
		"rc_3pid_validation":          unlimited,
		"rc_joins_per_room":           unlimited,
		"rc_room_creation":            unlimited,
		"rc_delayed_event_mgmt":       unlimited,
		"rc_reports":                  unlimited,
		"rc_presence":                 map[string]any{"per_user": unlimited},
		"experimental_features": map[string]any{
			"msc2409_to_device_messages_enabled": true,
			"msc3202_transaction_extensions":     true,
			"msc3202_device_masquerading":        true,
		},
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if err = os.WriteFile(filepath.Join(dir, "homeserver.yaml"), raw, 0o600); err != nil {
		return nil, err
	}
	logCfg := `version: 1
formatters: {precise: {format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'}}
handlers: {file: {class: logging.FileHandler, formatter: precise, filename: ` + dataDir + `/homeserver.log}}
loggers: {synapse.storage.SQL: {level: WARNING}}
root: {level: INFO, handlers: [file]}
disable_existing_loggers: false
`
	if err = os.WriteFile(filepath.Join(dir, "log.yaml"), []byte(logCfg), 0o600); err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "chroot", tools.SynapseRoot, "python3", "-m", "synapse.app.homeserver",
		"-c", dataDir+"/homeserver.yaml", "--generate-keys").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("synapse --generate-keys: %v: %s", err, out)
	}
	s := &Synapse{URL: "http://127.0.0.1:" + strconv.Itoa(port), Domain: "localhost", Dir: dir, dataDir: dataDir,
		logDir: logDir, root: tools.SynapseRoot, secret: hex.EncodeToString(secret)}
	if err = s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts (or, after Stop, restarts) the homeserver and waits until it answers.
func (s *Synapse) Start(ctx context.Context) error {
	var err error
	s.proc, err = StartProc("synapse", filepath.Join(s.logDir, "synapse.out"), nil, nil,
		"chroot", s.root, "python3", "-m", "synapse.app.homeserver", "-c", s.dataDir+"/homeserver.yaml")
	if err != nil {
		return err
	}
	if err = WaitHTTP(ctx, s.URL+"/_matrix/client/versions", s.proc); err != nil {
		s.Stop()
		return err
	}
	return nil
}

// CreateAccount registers a user with a password through the shared-secret admin API.
func (s *Synapse) CreateAccount(ctx context.Context, user, password string) error {
	nonceURL := s.URL + "/_synapse/admin/v1/register"
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := getJSON(ctx, nonceURL, &nonce); err != nil {
		return fmt.Errorf("synapse register %s: nonce: %w", user, err)
	}
	mac := hmac.New(sha1.New, []byte(s.secret))
	mac.Write([]byte(nonce.Nonce + "\x00" + user + "\x00" + password + "\x00notadmin"))
	body, _ := json.Marshal(map[string]any{"nonce": nonce.Nonce, "username": user, "password": password, "admin": false,
		"mac": hex.EncodeToString(mac.Sum(nil))})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, nonceURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("synapse register %s: %w", user, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("synapse register %s: HTTP %d: %s", user, resp.StatusCode, answer)
	}
	return nil
}

func getJSON(ctx context.Context, url string, into any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// UserID returns the full Matrix id of a local user.
func (s *Synapse) UserID(user string) string { return "@" + user + ":" + s.Domain }

// BaseURL is where the client API answers.
func (s *Synapse) BaseURL() string { return s.URL }

// Kind names the homeserver.
func (s *Synapse) Kind() string { return "synapse" }

// Stop stops the homeserver and copies its log beside the stack's other logs.
func (s *Synapse) Stop() {
	if s.proc != nil {
		s.proc.Stop()
	}
	if raw, err := os.ReadFile(filepath.Join(s.Dir, "homeserver.log")); err == nil {
		_ = os.WriteFile(filepath.Join(s.logDir, "synapse.log"), raw, 0o600)
	}
}

// Remove deletes the homeserver's folder inside the root, once it is stopped for good.
func (s *Synapse) Remove() { _ = os.RemoveAll(s.Dir) }
