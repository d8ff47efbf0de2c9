package passkey_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/passkey"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// harness is the passkey pages on 127.0.0.1 (as http://localhost:port, the one plain-http
// origin browsers allow WebAuthn on), a real store and approval engine behind them, and a
// headless Chromium whose tabs each hold a DevTools virtual authenticator.
type harness struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	cfg     *config.Config
	srv     *passkey.Server
	svc     *approval.Service
	origin  string
	browser *stack.Browser
	answers *recordedAnswers
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := zerolog.New(zerolog.NewTestWriter(t)).WithContext(context.Background())
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "seedgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", listener.Addr().(*net.TCPAddr).Port)
	cfg := &config.Config{
		Approvers: []config.Approver{{Name: "alice", MatrixIDs: []string{"@alice:hs"}}, {Name: "bob", MatrixIDs: []string{"@bob:hs"}},
			{Name: "mallory", MatrixIDs: []string{"@mallory:hs"}}},
		Passkeys: config.Passkeys{Listen: listener.Addr().String(), PublicURL: origin, Attestation: config.AttestationNone},
		Policies: []config.Policy{{Name: "magnets"}, {Name: "attested-model", PasskeyAttestation: config.AttestationRequired,
			PasskeyAAGUIDs: []string{"00000000-0000-0000-0000-00000000beef"}}},
	}
	srv, err := passkey.New(cfg, st, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	answers := &recordedAnswers{}
	svc := approval.NewService(cfg, st, map[string]torrent.Client{}, nil, nothingShown{})
	srv.Start(svc, answers)
	server := &http.Server{Handler: srv.Handler(*zerolog.Ctx(ctx)), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { _ = server.Close() })

	browser := stack.StartBrowser(t)
	return &harness{t: t, ctx: ctx, st: st, cfg: cfg, srv: srv, svc: svc, origin: origin, browser: browser, answers: answers}
}

// newTab opens a tab with a fresh virtual authenticator.
func (h *harness) newTab() *tab {
	return &tab{h: h, Phone: h.browser.NewPhone(nil)}
}

// tab is a phone in the browser, with the harness it runs against.
type tab struct {
	*stack.Phone
	h *harness
}

// enrol registers a passkey for person with a fresh enrolment link, through the page's button,
// and returns the link and the confirmation code the page shows.
func (tb *tab) enrol(person string) (link, code string) {
	tb.h.t.Helper()
	link, _, err := tb.h.srv.IssueEnrolment(tb.h.ctx, person, "@"+person+":hs/DEVICE")
	if err != nil {
		tb.h.t.Fatal(err)
	}
	tb.Open(link, "button.enrol")
	code = strings.TrimSpace(tb.WaitText("#code", "-"))
	return link, code
}

// confirm makes person's pending passkey count, as `!sg passkey confirm` does.
func (h *harness) confirm(person, code string) {
	h.t.Helper()
	now := time.Now()
	key, err := h.st.ConfirmPasskey(h.ctx, person, crypto.NormalizeMatchCode(code), "@"+person+":hs/DEVICE", now, now.Add(-passkey.EnrolmentTTL))
	if err != nil || key == nil {
		h.t.Fatalf("confirming %s's passkey with %s: %v %v", person, code, key, err)
	}
}

// request stores a pending request that needs a passkey, for approvers.
func (h *harness) request(id string, approvers ...string) *store.Request {
	h.t.Helper()
	return h.requestWith(id, func(r *store.Request) { r.Approvers = approvers })
}

// requestWith stores a pending request that needs a passkey, as change leaves it.
func (h *harness) requestWith(id string, change func(*store.Request)) *store.Request {
	h.t.Helper()
	now := time.Now()
	req := &store.Request{
		ID: id, Policy: "magnets", EventKind: "added", Action: "resume", Client: "qbittorrent", TorrentHash: strings.Repeat("ab", 20),
		TorrentName: "debian-13.iso", TorrentSize: 700 << 20, Host: "seedbox", MatchCode: "K7Q-2ZD", Quorum: 1,
		MinAssurance: approval.AssurancePasskey, DenyThreshold: 1, OnApprove: "resume", OnDeny: "remove",
		OnExpiry: "keep_stopped", State: store.RequestPending, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	change(req)
	if err := h.st.InsertRequest(h.ctx, req); err != nil {
		h.t.Fatal(err)
	}
	return req
}

// call posts a page's JSON call as any program can, with the Origin header it chooses.
func (h *harness) call(path, origin string, body any) (int, map[string]json.RawMessage) {
	h.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, h.origin+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]json.RawMessage
	if err := json.Unmarshal(data, &out); err != nil {
		h.t.Fatalf("%s answered %d, not JSON: %s", path, resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

// assertion has the tab's authenticator sign a begin call's challenge on its current page.
func (tb *tab) assertion(begun map[string]json.RawMessage) json.RawMessage {
	return tb.Assertion(begun["publicKey"])
}

// begin starts a tap on a link's path for outcome, and fails the test unless it was allowed.
func (h *harness) begin(path, outcome string) map[string]json.RawMessage {
	h.t.Helper()
	status, out := h.call(path+"/begin", h.origin, map[string]string{"outcome": outcome})
	if status != http.StatusOK {
		h.t.Fatalf("begin %s %s: %d %s", path, outcome, status, out["error"])
	}
	return out
}

func linkPath(url string) string { return url[strings.Index(url, "/a/"):] }

func enrolPath(url string) string { return url[strings.Index(url, "/e/"):] }

func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }

// serveOnLocalhost serves srv on another port of localhost and returns its URL.
func serveOnLocalhost(t *testing.T, srv *http.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return fmt.Sprintf("http://localhost:%d/", l.Addr().(*net.TCPAddr).Port)
}

func errorOf(out map[string]json.RawMessage) string {
	var s string
	_ = json.Unmarshal(out["error"], &s)
	return s
}

// nothingShown is the approval engine's notifier: these tests read the store, not a room.
type nothingShown struct{}

func (nothingShown) PostCard(context.Context, []*store.Request, string) (approval.Posted, error) {
	return approval.Posted{}, nil
}
func (nothingShown) UpdateCard(context.Context, *store.Request, []*store.Vote) error { return nil }
func (nothingShown) Announce(context.Context, string, torrent.Event, string) error   { return nil }
func (nothingShown) AnnounceAdopted(context.Context, string, []torrent.Torrent, []torrent.Torrent) error {
	return nil
}

// recordedAnswers is the bot's side of the pages: what it would tell people.
type recordedAnswers struct {
	mu         sync.Mutex
	registered []string
	voted      []string
}

func (r *recordedAnswers) PasskeyRegistered(_ context.Context, person string, key *store.Passkey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registered = append(r.registered, person+" "+key.CredentialID)
}

func (r *recordedAnswers) PasskeyVoted(_ context.Context, person string, res *approval.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.voted = append(r.voted, fmt.Sprintf("%s %s %v %s", person, res.Decision, res.Counted, res.Reason))
}

// writeScreenshot keeps a phone-sized picture of the page for the docs when asked to.
func writeScreenshot(t *testing.T, tb *tab, name string) {
	t.Helper()
	if os.Getenv("SEEDGATE_WRITE_SCREENSHOT") != "" {
		tb.Screenshot(filepath.Join(stack.RepoRoot(), "docs", name))
	}
}
