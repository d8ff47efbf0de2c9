package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// upStack brings up the real stack for a test, bounded in time, and tears it down after.
func upStack(t *testing.T, timeout time.Duration, opts stack.Options) (context.Context, *stack.Stack) {
	t.Helper()
	tools := stack.RequireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	if opts.Dir == "" {
		opts.Dir = tempDir(t)
	}
	s, err := stack.Up(ctx, tools, opts)
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(s.Down)
	return ctx, s
}

// eventually polls cond until it holds or ctx ends. It is for state that can only be read by
// asking (a torrent client's API), never for waiting on an event that can be awaited.
func eventually(ctx context.Context, t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: never happened: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitCard waits until the approver sees a new card for the torrent hash.
func waitCard(ctx context.Context, t *testing.T, a *stack.Approver, hash string) *stack.ApproverMessage {
	t.Helper()
	msg, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		r := m.Request()
		return m.Type == "message" && r != nil && r["hash"] == hash && m.Replaces() == ""
	})
	if err != nil {
		t.Fatalf("card for %s never arrived: %v", hash, err)
	}
	return msg
}

// waitCardState waits until the approver sees an edit of the card that shows state.
func waitCardState(ctx context.Context, t *testing.T, a *stack.Approver, cardID, state string) *stack.ApproverMessage {
	t.Helper()
	msg, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		r := m.Request()
		return m.Type == "message" && m.Replaces() == cardID && r != nil && r["state"] == state
	})
	if err != nil {
		t.Fatalf("card %s never showed state %s: %v", cardID, state, err)
	}
	return msg
}

// waitThreadNotice waits for the bot's answer under a card that contains text.
func waitThreadNotice(ctx context.Context, t *testing.T, a *stack.Approver, cardID, text string) *stack.ApproverMessage {
	t.Helper()
	msg, err := a.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		rel, _ := m.Content["m.relates_to"].(map[string]any)
		body, _ := m.Content["body"].(string)
		return m.Type == "message" && rel != nil && rel["rel_type"] == "m.thread" && rel["event_id"] == cardID && strings.Contains(body, text)
	})
	if err != nil {
		t.Fatalf("no answer containing %q under card %s: %v", text, cardID, err)
	}
	return msg
}

// addHeld adds a fresh torrent to qBittorrent and waits until the approver sees its card and
// the client shows it stopped.
func addHeld(ctx context.Context, t *testing.T, s *stack.Stack, a *stack.Approver, name string) (*stack.TorrentFile, *stack.ApproverMessage) {
	t.Helper()
	tf, err := stack.MakeTorrent("", name, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err = s.QB.Add(ctx, tf); err != nil {
		t.Fatal(err)
	}
	card := waitCard(ctx, t, a, tf.Hash)
	waitTorrentState(ctx, t, s.QB, tf.Hash, "held", func(state string, exists bool) bool { return exists && stack.IsStopped(state) })
	return tf, card
}

func waitTorrentState(ctx context.Context, t *testing.T, qb *stack.QBittorrent, hash, what string, want func(state string, exists bool) bool) {
	t.Helper()
	eventually(ctx, t, "torrent "+hash+" "+what, func() (bool, error) {
		state, exists, err := qb.State(ctx, hash)
		return want(state, exists), err
	})
}

// serverEvent fetches an event as the homeserver stores it, logged in as user.
func serverEvent(ctx context.Context, hs, user, password, roomID, eventID string) (map[string]any, []byte, error) {
	login, _ := json.Marshal(map[string]any{"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": user}, "password": password})
	resp, err := http.Post(hs+"/_matrix/client/v3/login", "application/json", strings.NewReader(string(login)))
	if err != nil {
		return nil, nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		return nil, nil, fmt.Errorf("login %s failed: %v", user, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs+"/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/event/"+url.PathEscape(eventID), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var evt map[string]any
	if err = json.Unmarshal(raw, &evt); err != nil {
		return nil, nil, err
	}
	return evt, raw, nil
}

func httpGet(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// botDevice reads the bot's device id from seedgate's "Bot ready" log line.
func botDevice(ctx context.Context, t *testing.T, p *stack.Proc) string {
	t.Helper()
	_, line, err := p.WaitLine(ctx, 0, func(l string) bool { return strings.Contains(l, `"Bot ready"`) })
	if err != nil {
		t.Fatal(err)
	}
	var entry struct {
		DeviceID string `json:"device_id"`
	}
	if err = json.Unmarshal([]byte(line), &entry); err != nil || entry.DeviceID == "" {
		t.Fatalf("no device id in %q: %v", line, err)
	}
	return entry.DeviceID
}

func tempDir(t *testing.T) string {
	t.Helper()
	// Unix socket and path limits: keep it short; keep it on failure for the logs.
	dir, err := os.MkdirTemp("", "sg-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("SEEDGATE_KEEP_LOGS") == "" {
			_ = os.RemoveAll(dir)
		} else {
			t.Logf("logs kept in %s", dir)
		}
	})
	return dir
}

// rcsFakes are local stand-ins for Twilio and Google's RBM API, and the bridges config that
// points seedgate at them.
type rcsFakes struct {
	twilio *stack.FakeTwilio
	rbm    *stack.FakeRBM
	config map[string]any // the bridges section: twilio and rbm; callers may add to it
}

// startRCSFakes starts both fakes, with their credentials written into dir, stopped at the end.
func startRCSFakes(t *testing.T, dir string) *rcsFakes {
	t.Helper()
	tw, err := stack.StartFakeTwilio()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tw.Close)
	google, err := stack.StartFakeRBM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(google.Close)
	serviceAccount, err := google.WriteServiceAccount(dir)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "twilio.token")
	if err = os.WriteFile(tokenFile, []byte(tw.AuthToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &rcsFakes{twilio: tw, rbm: google, config: map[string]any{
		"twilio": map[string]any{"api_url": tw.URL, "account_sid": tw.AccountSID, "auth_token_file": tokenFile, "messaging_service_sid": tw.ServiceSID},
		"rbm":    map[string]any{"api_url": google.URL, "agent_id": google.AgentID, "service_account_file": serviceAccount, "client_token": google.ClientToken},
	}}
}

// connect tells the fakes where seedgate's webhooks listen, once the stack is up.
func (f *rcsFakes) connect(s *stack.Stack) {
	f.twilio.InboundURL = s.WebhookURL + "/twilio/inbound"
	f.rbm.WebhookURL = s.WebhookURL + "/rbm"
}

// registration is what the tests read back from the registration seedgate generated.
type registration struct {
	ASToken         string `yaml:"as_token"`
	HSToken         string `yaml:"hs_token"`
	SenderLocalpart string `yaml:"sender_localpart"`
}

func readRegistration(t *testing.T, s *stack.Stack) registration {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(s.Seedgate.Dir, "registration.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var reg registration
	if err = yaml.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func readConfig(t *testing.T, s *stack.Stack) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(s.Seedgate.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err = yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// auditEntry is one entry of `seedgate audit export`, as far as the tests read it.
type auditEntry struct {
	Kind      string `json:"kind"`
	RequestID string `json:"request_id"`
	Data      struct {
		Hash      string `json:"hash"`
		StateSeen string `json:"state_seen"`
	} `json:"data"`
}

// auditEntries runs `seedgate audit export` and returns the whole audit log in order.
func auditEntries(ctx context.Context, t *testing.T, s *stack.Stack) []auditEntry {
	t.Helper()
	out, err := exec.CommandContext(ctx, s.Seedgate.Bin, "audit", "export", "-c", s.Seedgate.ConfigPath).Output()
	if err != nil {
		t.Fatalf("audit export: %v", err)
	}
	var entries []auditEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e auditEntry
		if err = json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit export line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	return entries
}

// countAudit counts the entries of one kind.
func countAudit(entries []auditEntry, kind string) int {
	n := 0
	for _, e := range entries {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// auditIntact runs `seedgate audit verify`, which checks every link of the hash chain.
func auditIntact(ctx context.Context, t *testing.T, s *stack.Stack) {
	t.Helper()
	out, err := exec.CommandContext(ctx, s.Seedgate.Bin, "audit", "verify", "-c", s.Seedgate.ConfigPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("audit verify: %v: %s", err, out)
	}
}
