package torrent_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

var (
	hookBinaryOnce sync.Once
	hookBinary     string
	hookBinaryErr  error
)

// hookProgram builds seedgate-hook once for the hook tests.
func hookProgram(t testing.TB) string {
	t.Helper()
	hookBinaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sg-hookbin-")
		if err != nil {
			hookBinaryErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		hookBinary, hookBinaryErr = stack.BuildSeedgate(ctx, dir)
	})
	if hookBinaryErr != nil {
		t.Fatal(hookBinaryErr)
	}
	return stack.HookProgram(hookBinary)
}

// hookTarget is seedgate's hook endpoint in front of one watcher that polls only every ten
// minutes, so an event that arrives in seconds arrived through the client's hook. It listens
// before the client starts (the client's configuration names it); attach adds the watcher.
type hookTarget struct {
	URL        string
	SecretFile string
	accepted   atomic.Int64
	events     *eventLog
	dir        string
	receiver   *torrent.HookReceiver
	interval   time.Duration // the watcher's poll interval; ten minutes unless set
	mu         sync.Mutex
}

func startHookTargetLater(t testing.TB) *hookTarget {
	t.Helper()
	h := &hookTarget{dir: t.TempDir(), events: newEventLog()}
	h.SecretFile = filepath.Join(h.dir, "hook.secret")
	secret, err := crypto.LoadOrCreateSecret(h.SecretFile, 32)
	if err != nil {
		t.Fatal(err)
	}
	h.receiver = &torrent.HookReceiver{
		Verifier: crypto.NewHookVerifier(secret, time.Minute, &crypto.MemoryNonces{}),
		Watchers: map[string]*torrent.Watcher{},
		Log:      zerolog.Nop(),
	}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		rec := httptest.NewRecorder()
		h.receiver.ServeHTTP(rec, r)
		if rec.Code == http.StatusAccepted {
			h.accepted.Add(1)
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(server.Close)
	h.URL = server.URL + "/v1/hooks"
	return h
}

// attach starts the watcher of client behind the endpoint and waits for its first sync.
func (h *hookTarget) attach(t testing.TB, ctx context.Context, client torrent.Client) {
	t.Helper()
	interval := h.interval
	if interval == 0 {
		interval = 10 * time.Minute
	}
	// The receiver must know the watcher before the first hook call, which can come as soon as
	// the watcher runs; a torrent is added only after attach returns.
	h.mu.Lock()
	defer h.mu.Unlock()
	h.receiver.Watchers[client.Name()] = startWatcher(t, ctx, client, filepath.Join(h.dir, "watch.db"), interval, h.events.handle)
}

// wrapper writes a shell script that runs seedgate-hook with fixed flags and the caller's
// arguments, for clients that run a program without arguments of its own (Transmission,
// Deluge's Execute plugin).
func (h *hookTarget) wrapper(t testing.TB, bin, client, event string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seedgate-hook-"+event+".sh")
	script := fmt.Sprintf("#!/bin/sh\nexec %q --url %q --secret-file %q --client %q --event %q \"$@\"\n", bin, h.URL, h.SecretFile, client, event)
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// readmeWrapper writes the wrapper script the README gives under the file name name, byte for
// byte, with only the binary, URL, secret file and client name replaced by this test's.
func (h *hookTarget) readmeWrapper(t testing.TB, bin, name, client string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(stack.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), "/usr/local/bin/"+name)
	if !ok {
		t.Fatalf("README.md names no %s", name)
	}
	_, after, ok = strings.Cut(after, "```sh\n")
	script, _, closed := strings.Cut(after, "```")
	if !ok || !closed {
		t.Fatalf("README.md has no sh block after %s", name)
	}
	script = strings.NewReplacer("/usr/local/bin/seedgate-hook ", bin+" ", "http://127.0.0.1:29343/v1/hooks", h.URL,
		"/var/lib/seedgate/hook.secret", h.SecretFile, "--client seedbox", "--client "+client).Replace(script)
	path := filepath.Join(t.TempDir(), name)
	if err = os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectHookedEvent adds a torrent through the adapter and waits for the watcher's event,
// which (with a ten-minute poll interval) can only come from the client's hook.
func (h *hookTarget) expectHookedEvent(t *testing.T, ctx context.Context, c torrent.Client, dataDir string,
	makeTorrent func(string, string, int) (*stack.TorrentFile, error), stopped bool, kind torrent.EventKind) {
	t.Helper()
	tf, err := makeTorrent(dataDir, "hooked.bin", 128<<10)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err = c.AddFile(ctx, "hooked.torrent", tf.Metainfo, torrent.AddOptions{Stopped: stopped, SavePath: dataDir}); err != nil {
		t.Fatal(err)
	}
	h.events.waitFor(ctx, t, tf.Hash, kind)
	if h.accepted.Load() == 0 {
		t.Fatal("the event came without an accepted hook call")
	}
	t.Logf("%s event %v after the add, through %d hook call(s)", kind, time.Since(start).Round(time.Millisecond), h.accepted.Load())
}

// TestTransmissionDoneScript: Transmission 3.00's done script (its only hook; 4.x adds
// script-torrent-added) runs seedgate-hook with TR_TORRENT_HASH in its environment, and only
// when a torrent completes: a new torrent whose data is not on disk yet fires nothing, so on
// 3.00 a new download is found by polling (or kept stopped by the door) and never by a hook.
func TestTransmissionDoneScript(t *testing.T) {
	t.Parallel()
	program := stack.RequireProgram(t, "transmission-daemon")
	bin := hookProgram(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	target := startHookTargetLater(t)
	script := target.wrapper(t, bin, "transmission-hooked", "done")
	tr, err := stack.StartTransmission(ctx, program, filepath.Join(t.TempDir(), "tr"), map[string]any{
		"script-torrent-done-enabled": true, "script-torrent-done-filename": script,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Stop)
	c, _ := torrent.NewTransmission("transmission-hooked", tr.URL, tr.Username, tr.Password)
	target.attach(t, ctx, c)
	// A new download: no data on disk, no peers, so it cannot complete.
	download, err := stack.MakeTorrent("", "new-download.bin", 128<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err = c.AddFile(ctx, "new-download.torrent", download.Metainfo, torrent.AddOptions{SavePath: tr.DownloadDir}); err != nil {
		t.Fatal(err)
	}
	// A torrent whose data is already there completes its check at once: the script fires.
	target.expectHookedEvent(t, ctx, c, tr.DownloadDir, stack.MakeTorrent, false, torrent.EventAdded)
	if calls := target.accepted.Load(); calls != 1 {
		t.Fatalf("%d hook calls for one completed torrent and one new download; want 1 (the done script fires on completion only)", calls)
	}
}

// TestRTorrentEventHook: rTorrent's event.download.inserted_new runs seedgate-hook with the
// hash and name as arguments.
func TestRTorrentEventHook(t *testing.T) {
	t.Parallel()
	program := stack.RequireProgram(t, "rtorrent")
	bin := hookProgram(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	socket := "scgi://" + filepath.Join(dir, "rt", "rpc.sock")
	c, _ := torrent.NewRTorrent("rtorrent-hooked", socket, "", "")
	target := startHookTargetLater(t)
	rt, err := stack.StartRTorrent(ctx, program, filepath.Join(dir, "rt"),
		fmt.Sprintf(`method.set_key = event.download.inserted_new, seedgate, "execute.nothrow.bg = %s, --url, %s, --secret-file, %s, --client, rtorrent-hooked, --event, inserted_new, --hash, (d.hash), --name, (d.name)"`,
			bin, target.URL, target.SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	target.attach(t, ctx, c)
	makeTorrent := func(dir, name string, size int) (*stack.TorrentFile, error) {
		return stack.MakeTorrentAnnounce(dir, name, size, "http://127.0.0.1:9/announce")
	}
	target.expectHookedEvent(t, ctx, c, rt.DownloadDir, makeTorrent, true, torrent.EventAdded)
}

// TestDelugeExecuteHook: Deluge's Execute plugin runs a wrapper around seedgate-hook with
// the torrent's id, name and location as arguments. The wrapper is the README's, as a person
// copies it from the raw file (an indented "#!/bin/sh" made the plugin fail without a word).
func TestDelugeExecuteHook(t *testing.T) {
	t.Parallel()
	daemon := stack.RequireProgram(t, "deluged")
	web := stack.RequireProgram(t, "deluge-web")
	bin := hookProgram(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	target := startHookTargetLater(t)
	script := target.readmeWrapper(t, bin, "seedgate-hook-deluge", "deluge-hooked")
	d, err := stack.StartDeluge(ctx, daemon, web, filepath.Join(t.TempDir(), "deluge"),
		stack.DelugeOptions{Plugins: []string{"Execute"}, Execute: map[string]string{"added": script}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	c, _ := torrent.NewDeluge("deluge-hooked", d.URL, d.Password)
	target.attach(t, ctx, c)
	target.expectHookedEvent(t, ctx, c, d.DownloadDir, stack.MakeTorrent, true, torrent.EventAdded)
}
