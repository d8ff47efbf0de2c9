package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/seedgate/seedgate/test/stack"
)

// TestStartupFailuresNameTheirCause starts seedgate against real components configured wrong,
// and checks that each attempt ends quickly with a non-zero exit and a log line naming the cause
// and the config key to fix — never a panic or a hang.
func TestStartupFailuresNameTheirCause(t *testing.T) {
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := tempDir(t)
	bin, err := stack.BuildSeedgate(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	qb, err := stack.StartQBittorrent(ctx, tools, filepath.Join(dir, "qb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(qb.Stop)

	hsPort, _ := stack.FreePort()
	asPort, _ := stack.FreePort()
	closedPort, _ := stack.FreePort()
	base := func() map[string]any {
		return map[string]any{
			"homeserver": map[string]any{"address": "http://127.0.0.1:" + strconv.Itoa(hsPort), "domain": "localhost"},
			"appservice": map[string]any{"registration": filepath.Join(dir, "seedgate-reg.yaml"), "listen": "127.0.0.1:" + strconv.Itoa(asPort)},
			"database":   map[string]any{"path": filepath.Join(dir, "sg.db")},
			"approvers":  []any{map[string]any{"name": "alice", "matrix_ids": []string{"@alice:localhost"}}},
			"torrent_clients": []any{map[string]any{"name": "box", "type": "qbittorrent", "url": qb.URL,
				"username": qb.Username, "password": qb.Password}},
			"policies": []any{map[string]any{"name": "p", "events": []string{"added"}}},
		}
	}
	write := func(name string, cfg map[string]any) string {
		raw, _ := yaml.Marshal(cfg)
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// seedgate's registration, and a different one that the homeserver loads instead.
	good := write("good", base())
	if out, err := exec.CommandContext(ctx, bin, "-g", "-c", good, "-r", filepath.Join(dir, "seedgate-reg.yaml")).CombinedOutput(); err != nil {
		t.Fatalf("-g: %v %s", err, out)
	}
	if out, err := exec.CommandContext(ctx, bin, "-g", "-c", good, "-r", filepath.Join(dir, "other-reg.yaml")).CombinedOutput(); err != nil {
		t.Fatalf("-g: %v %s", err, out)
	}
	hs, err := stack.StartDendrite(ctx, tools, filepath.Join(dir, "dendrite"), hsPort, filepath.Join(dir, "other-reg.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Stop)

	cases := []struct {
		name   string
		change func(cfg map[string]any)
		want   []string
	}{
		{"wrong qBittorrent password", func(cfg map[string]any) {
			cfg["torrent_clients"].([]any)[0].(map[string]any)["password"] = "not-the-password"
		}, []string{"torrent_clients[0].password", "login refused"}},
		{"wrong homeserver URL", func(cfg map[string]any) {
			cfg["homeserver"].(map[string]any)["address"] = "http://127.0.0.1:" + strconv.Itoa(closedPort)
		}, []string{"homeserver.address is unreachable"}},
		{"as_token the homeserver does not know", func(map[string]any) {}, []string{"does not accept the as_token", "appservice.registration"}},
		{"template registration", func(cfg map[string]any) {
			cfg["appservice"].(map[string]any)["registration"] = filepath.Join(stack.RepoRoot(), "registration.yaml")
		}, []string{"placeholder tokens", "seedgate -g"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.change(cfg)
			path := write(strings.ReplaceAll(tc.name, " ", "-"), cfg)
			runCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(runCtx, bin, "-c", path).CombinedOutput()
			if runCtx.Err() != nil {
				t.Fatalf("seedgate hung instead of exiting:\n%s", out)
			}
			if err == nil {
				t.Fatalf("seedgate started with a broken config:\n%s", out)
			}
			text := string(out)
			if strings.Contains(text, "panic") {
				t.Fatalf("seedgate panicked:\n%s", text)
			}
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, qb.Password) {
				t.Errorf("output reveals the qBittorrent password:\n%s", text)
			}
		})
	}
}

// TestStartsWithATorrentClientDown: a client that cannot be reached is not a configuration
// error. seedgate names it and the key to check, starts anyway (approvals for the other
// clients go on) and reports it down in its metrics until the watcher reaches it.
func TestStartsWithATorrentClientDown(t *testing.T) {
	closedPort, _ := stack.FreePort()
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}, Metrics: true})
	s.Seedgate.Stop()
	cfg := readConfig(t, s)
	cfg["torrent_clients"].([]any)[0].(map[string]any)["url"] = "http://127.0.0.1:" + strconv.Itoa(closedPort)
	raw, _ := yaml.Marshal(cfg)
	if err := os.WriteFile(s.Seedgate.ConfigPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Seedgate.Start(ctx); err != nil {
		t.Fatalf("seedgate did not start with its torrent client down: %v", err)
	}
	_, line, err := s.Seedgate.Proc().WaitLine(ctx, 0, func(l string) bool {
		return strings.Contains(l, "Torrent client down; starting without it and retrying")
	})
	if err != nil || !strings.Contains(line, "torrent_clients[0].url") {
		t.Fatalf("the client that is down was not named with its config key: %v\n%s", err, line)
	}
	eventually(ctx, t, "seedgate_torrent_client_up{client=\"seedbox\"} 0", func() (bool, error) {
		return strings.Contains(httpGet(ctx, t, s.MetricsURL+"/metrics"), `seedgate_torrent_client_up{client="seedbox"} 0`), nil
	})
}
