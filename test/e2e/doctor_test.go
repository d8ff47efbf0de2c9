package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/seedgate/seedgate/test/stack"
)

// TestDoctor runs `seedgate doctor` against a healthy stack, then injects one fault at a time
// and checks that doctor names it with its fix and exits non-zero.
func TestDoctor(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}})
	doctor := func(configPath string) (string, error) {
		out, err := exec.CommandContext(ctx, s.Seedgate.Bin, "doctor", "-c", configPath).CombinedOutput()
		return string(out), err
	}
	variant := func(name string, change func(cfg map[string]any)) string {
		cfg := readConfig(t, s)
		change(cfg)
		raw, _ := yaml.Marshal(cfg)
		path := filepath.Join(s.Seedgate.Dir, name+".yaml")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("healthy", func(t *testing.T) {
		out, err := doctor(s.Seedgate.ConfigPath)
		t.Logf("doctor on a healthy stack:\n%s", out)
		if err != nil || strings.Contains(out, "✘") {
			t.Fatalf("doctor failed a healthy stack: %v\n%s", err, out)
		}
		for _, want := range []string{"✔ homeserver", "✔ appservice registration accepted", "✔ approvals room", "everyone expected joined",
			"✔ direct messages with @alice:localhost: !",
			"✔ torrent client seedbox: qBittorrent v", "✔ key file pickle.key", "✔ key file recovery.key", "✔ database", "✔ active seedgate: pid ", "✔ clock",
			"✔ bot device: device", "cross-signing master key", "✔ encryption mode: appservice.encryption auto: the bot will use " +
				map[string]string{"dendrite": "sync", "synapse": "appservice"}[s.HS.Kind()]} {
			if !strings.Contains(out, want) {
				t.Errorf("doctor output lacks %q", want)
			}
		}
	})

	t.Run("sync mode where the homeserver refuses /sync", func(t *testing.T) {
		if s.HS.Kind() != "synapse" {
			t.Skip("Dendrite serves /sync to the bot, so sync mode is healthy there")
		}
		out, _ := doctor(variant("sync-mode", func(cfg map[string]any) { cfg["appservice"].(map[string]any)["encryption"] = "sync" }))
		if !strings.Contains(out, "✘ encryption mode: appservice.encryption is sync, but the homeserver refuses /sync") {
			t.Fatalf("doctor does not refuse sync mode on Synapse:\n%s", out)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		other := filepath.Join(s.Seedgate.Dir, "other-registration.yaml")
		if out, err := exec.CommandContext(ctx, s.Seedgate.Bin, "-g", "-c", s.Seedgate.ConfigPath, "-r", other).CombinedOutput(); err != nil {
			t.Fatalf("-g: %v %s", err, out)
		}
		path := variant("wrong-token", func(cfg map[string]any) { cfg["appservice"].(map[string]any)["registration"] = other })
		out, err := doctor(path)
		t.Logf("doctor:\n%s", out)
		if err == nil || !strings.Contains(out, "✘ appservice registration accepted: the homeserver does not know this as_token") || !strings.Contains(out, "fix: add") {
			t.Fatalf("wrong token not named:\n%s", out)
		}
	})

	t.Run("room not encrypted", func(t *testing.T) {
		roomID := createUnencryptedRoomAsBot(ctx, t, s)
		path := variant("plain-room", func(cfg map[string]any) { cfg["matrix"].(map[string]any)["room_id"] = roomID })
		out, err := doctor(path)
		t.Logf("doctor:\n%s", out)
		if err == nil || !strings.Contains(out, "✘ approvals room: "+roomID+" is not encrypted") {
			t.Fatalf("unencrypted room not named:\n%s", out)
		}
	})

	t.Run("group room not encrypted", func(t *testing.T) {
		roomID := createUnencryptedRoomAsBot(ctx, t, s)
		path := variant("plain-group-room", func(cfg map[string]any) {
			cfg["groups"] = map[string]any{"admins": []string{"alice"}}
			cfg["matrix"].(map[string]any)["group_rooms"] = map[string]any{"admins": roomID}
		})
		out, err := doctor(path)
		t.Logf("doctor:\n%s", out)
		if err == nil || !strings.Contains(out, "✘ approvals room admins: "+roomID+" is not encrypted") ||
			!strings.Contains(out, "matrix.group_rooms.admins") || !strings.Contains(out, "✔ approvals room: ") {
			t.Fatalf("unencrypted group room not named:\n%s", out)
		}
	})

	t.Run("loose key permissions", func(t *testing.T) {
		key := filepath.Join(s.Seedgate.Dir, "pickle.key")
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(key, 0o600)
		out, err := doctor(s.Seedgate.ConfigPath)
		t.Logf("doctor:\n%s", out)
		if err == nil || !strings.Contains(out, "✘ key file pickle.key") || !strings.Contains(out, "fix: chmod 600 "+key) {
			t.Fatalf("loose key file not named:\n%s", out)
		}
	})

	t.Run("client down", func(t *testing.T) {
		s.QB.Stop()
		out, err := doctor(s.Seedgate.ConfigPath)
		t.Logf("doctor:\n%s", out)
		// A client that is down warns and names it, but does not fail the unit's pre-check:
		// seedgate starts without it, so approvals for the other clients go on.
		if !strings.Contains(out, "⚠ torrent client seedbox: unreachable") || !strings.Contains(out, "torrent_clients[0].url") {
			t.Fatalf("stopped client not named:\n%s", out)
		}
		if err != nil && !strings.Contains(out, "✘") {
			t.Fatalf("doctor failed on a client that is only down:\n%s", out)
		}
	})

	t.Run("broken config", func(t *testing.T) {
		path := filepath.Join(s.Seedgate.Dir, "broken.yaml")
		_ = os.WriteFile(path, []byte("homeserver: [this is: not, a mapping"), 0o600)
		out, err := doctor(path)
		t.Logf("doctor:\n%s", out)
		if err == nil || !strings.Contains(out, "✘ config") || strings.Contains(out, "panic") {
			t.Fatalf("broken config:\n%s", out)
		}
	})
}

// createUnencryptedRoomAsBot makes a room without encryption in the bot's name, through the
// appservice token, as a misconfigured matrix.room_id would point at.
func createUnencryptedRoomAsBot(ctx context.Context, t *testing.T, s *stack.Stack) string {
	t.Helper()
	reg := readRegistration(t, s)
	body, _ := json.Marshal(map[string]any{"preset": "private_chat", "name": "plain"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.HS.BaseURL()+"/_matrix/client/v3/createRoom?user_id="+
		url.QueryEscape("@"+reg.SenderLocalpart+":localhost"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+reg.ASToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		RoomID string `json:"room_id"`
	}
	if err = json.NewDecoder(resp.Body).Decode(&out); err != nil || out.RoomID == "" {
		t.Fatalf("createRoom: HTTP %d %v", resp.StatusCode, err)
	}
	return out.RoomID
}
