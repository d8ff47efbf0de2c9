package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

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
