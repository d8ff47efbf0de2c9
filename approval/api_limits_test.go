package approval

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// apiHarness serves the API as seedgate does, behind a listener with the real 10 s write
// timeout (shortened here), with two callers: sonarr (scope own) and a dashboard (scope all).
type apiCall func(method, path, auth, body string) (int, map[string]any)

func apiHarness(t *testing.T, writeTimeout time.Duration) (*harness, map[string]*crypto.DevicePrivate, apiCall) {
	t.Helper()
	h, devs := signedHarness(t, 1)
	h.cfg.API.Callers = []config.APICaller{
		{Name: "sonarr", Token: config.Secret("sonarr-0123456789abcdef0123")},
		{Name: "radarr", Token: config.Secret("radarr-0123456789abcdef0123")},
		{Name: "dashboard", Token: config.Secret("dashboard-0123456789abcdef0"), Scope: config.ScopeAll},
	}
	h.cfg.Policies = append(h.cfg.Policies, config.Policy{
		Name: "deletes", Events: []string{"request"}, Actions: []string{"remove"}, Outcome: config.OutcomeHold,
		Quorum: 1, DenyThreshold: 1, TTL: config.Duration(5 * time.Minute), MinAssurance: config.AssuranceHomeserver,
	})
	h.client.known = map[string]torrent.Torrent{"abcd": {Hash: "abcd", Name: "old.iso", Size: 5}}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.svc.APIHandler(zerolog.Nop()), WriteTimeout: writeTimeout}
	go func() { _ = srv.Serve(listener) }()
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + listener.Addr().String()
	return h, devs, func(method, path, auth, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
}

// Anonymous junk from one address uses up only the anonymous budget: the callers' tokens and
// a signed approval from the same address still go through.
func TestAnonymousJunkCannotLockOutApprovals(t *testing.T) {
	h, devs, call := apiHarness(t, 10*time.Second)
	limited := 0
	for i := 0; i < anonymousBudget+10; i++ {
		if status, _ := call("POST", "/v1/approve", "", "junk"); status == http.StatusTooManyRequests {
			limited++
		}
		if status, _ := call("GET", "/v1/requests/x", "wrong-token", ""); status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("anonymous calls were never rate limited")
	}
	status, out := call("POST", "/v1/requests", "sonarr-0123456789abcdef0123", `{"client":"box","hash":"abcd","action":"remove","reason":"r"}`)
	if status != http.StatusCreated {
		t.Fatalf("a caller locked out by anonymous junk: HTTP %d %v", status, out)
	}
	// A signed approval still counts, from the same address.
	req := h.hold(t, "aa")
	line := signedLine(t, h, req, devs["alice"], "approve")
	if status, out := call("POST", "/v1/approve", "", `{"vote":"`+line+`"}`); status != http.StatusOK || out["counted"] != true {
		t.Fatalf("a signed approval locked out by anonymous junk: HTTP %d %v", status, out)
	}
}

// A token reads only the requests it asked for, unless its scope is all.
func TestTokenReadsOnlyItsOwnRequests(t *testing.T) {
	_, _, call := apiHarness(t, 10*time.Second)
	status, out := call("POST", "/v1/requests", "sonarr-0123456789abcdef0123", `{"client":"box","hash":"abcd","action":"remove","reason":"r"}`)
	if status != http.StatusCreated {
		t.Fatalf("ask: HTTP %d %v", status, out)
	}
	id := out["id"].(string)
	for token, want := range map[string]int{"sonarr-0123456789abcdef0123": 200, "radarr-0123456789abcdef0123": 404, "dashboard-0123456789abcdef0": 200} {
		if status, out := call("GET", "/v1/requests/"+id, token, ""); status != want {
			t.Errorf("%s reading sonarr's request: HTTP %d %v, want %d", strings.SplitN(token, "-", 2)[0], status, out, want)
		}
	}
}

// A long poll may take its whole wait, past the listener's write timeout, and still answer.
func TestLongPollOutlastsTheWriteTimeout(t *testing.T) {
	_, _, call := apiHarness(t, 500*time.Millisecond)
	status, out := call("POST", "/v1/requests", "sonarr-0123456789abcdef0123", `{"client":"box","hash":"abcd","action":"remove","reason":"r"}`)
	if status != http.StatusCreated {
		t.Fatalf("ask: HTTP %d %v", status, out)
	}
	if status, out = call("GET", "/v1/requests/"+out["id"].(string)+"?wait=2s", "sonarr-0123456789abcdef0123", ""); status != 200 || out["state"] != string(store.RequestPending) {
		t.Fatalf("long poll past the write timeout: HTTP %d %v", status, out)
	}
}
