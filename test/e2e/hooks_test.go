package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/test/stack"
)

// TestQBittorrentHookHolds configures qBittorrent's own "on torrent added" program to run
// `seedgate hook`, with seedgate's polling slowed to ten minutes: a torrent that is held at once
// was seen through the hook. Forged, stale and replayed hook calls are refused and counted.
func TestQBittorrentHookHolds(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}, Hooks: true, Metrics: true, PollInterval: "10m"})
	var err error
	// The first poll (the baseline) must be done before a torrent arrives, or it would see it.
	if _, _, err = s.Seedgate.Proc().WaitLine(ctx, 0, func(l string) bool { return strings.Contains(l, `"Connected to torrent client"`) }); err != nil {
		t.Fatal(err)
	}

	t.Run("hook holds the torrent without polling", func(t *testing.T) {
		tf, err := stack.MakeTorrent("", "seen-by-hook.bin", 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		added := time.Now()
		if err = s.QB.Add(ctx, tf); err != nil {
			t.Fatal(err)
		}
		waitTorrentState(ctx, t, s.QB, tf.Hash, "held through the hook", func(state string, exists bool) bool { return exists && stack.IsStopped(state) })
		t.Logf("exposure window via the qBittorrent hook: held within %s of the add (observed at 100 ms resolution)", time.Since(added).Round(10*time.Millisecond))
		waitCard(ctx, t, s.Clients["alice"], tf.Hash)
	})

	secret, err := crypto.LoadSecret(s.HookSecret)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body []byte, header string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.HookURL, bytes.NewReader(body))
		if header != "" {
			req.Header.Set(crypto.HookHeader, header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body, _ := json.Marshal(map[string]string{"client": "seedbox", "event": "added", "hash": "00"})
	t.Run("forged, stale, replayed and unsigned calls are refused", func(t *testing.T) {
		if got := post(body, crypto.SignHook([]byte("not the secret"), time.Now(), body)); got != http.StatusUnauthorized {
			t.Errorf("forged hook: HTTP %d", got)
		}
		if got := post(body, crypto.SignHook(secret, time.Now().Add(-5*time.Minute), body)); got != http.StatusUnauthorized {
			t.Errorf("stale hook: HTTP %d", got)
		}
		if got := post(body, ""); got != http.StatusUnauthorized {
			t.Errorf("unsigned hook: HTTP %d", got)
		}
		valid := crypto.SignHook(secret, time.Now(), body)
		if got := post(body, valid); got != http.StatusAccepted {
			t.Fatalf("valid hook: HTTP %d", got)
		}
		if got := post(body, valid); got != http.StatusConflict {
			t.Errorf("replayed hook: HTTP %d", got)
		}
		other, _ := json.Marshal(map[string]string{"client": "nas", "event": "added"})
		if got := post(other, crypto.SignHook(secret, time.Now(), other)); got != http.StatusNotFound {
			t.Errorf("unknown client: HTTP %d", got)
		}
		metrics := httpGet(ctx, t, s.MetricsURL+"/metrics")
		for _, want := range []string{`seedgate_hook_rejected_total{reason="bad_signature"} 1`, `seedgate_hook_rejected_total{reason="stale"} 1`,
			`seedgate_hook_rejected_total{reason="replayed"} 1`, `seedgate_hook_rejected_total{reason="unsigned"} 1`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}
