package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tracker is Debian's opentracker on 127.0.0.1 in whitelist mode, behind a counting proxy:
// every announce passes through the proxy, which records who announced which info-hash, then
// reaches the real tracker, which answers with the swarm's peers. Torrents announce to
// AnnounceURL.
type Tracker struct {
	AnnounceURL string
	proc        *Proc
	server      *http.Server
	proxy       *httputil.ReverseProxy
	ready       chan struct{} // closed once opentracker answers behind the proxy

	mu        sync.Mutex
	announces map[string][]Announce // by lowercase hex info-hash
	changed   chan struct{}
}

// Announce is one announce a client made.
type Announce struct {
	Port  int    // the announcing peer's listening port
	Event string // started, stopped, completed or ""
	At    time.Time
}

// ListenTracker opens the counting proxy, so torrents can name AnnounceURL before the tracker
// itself starts (its whitelist needs their info-hashes); Start starts opentracker behind it.
func ListenTracker() (*Tracker, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tr := &Tracker{announces: map[string][]Announce{}, changed: make(chan struct{}), ready: make(chan struct{})}
	tr.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-tr.ready:
		case <-r.Context().Done():
			return
		}
		if r.URL.Path == "/announce" {
			tr.record(r.URL.Query())
		}
		tr.proxy.ServeHTTP(w, r)
	})}
	go func() { _ = tr.server.Serve(ln) }()
	tr.AnnounceURL = "http://" + ln.Addr().String() + "/announce"
	return tr, nil
}

// Start starts opentracker allowing exactly hashes (lowercase hex info-hashes).
func (tr *Tracker) Start(ctx context.Context, program, dir string, hashes []string) error {
	// opentracker drops to user nobody and chroots into its directory, so the directory
	// must be readable by everyone; it names its whitelist relative to the chroot.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "whitelist.txt"), []byte(strings.Join(hashes, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "opentracker.conf"), []byte("access.whitelist /whitelist.txt\n"), 0o644); err != nil {
		return err
	}
	port, err := FreePort()
	if err != nil {
		return err
	}
	p := strconv.Itoa(port)
	tr.proc, err = StartProc("opentracker", filepath.Join(dir, "opentracker.out"), nil, nil, program,
		"-i", "127.0.0.1", "-p", p, "-P", p, "-f", filepath.Join(dir, "opentracker.conf"), "-d", dir)
	if err != nil {
		return err
	}
	upstream := &url.URL{Scheme: "http", Host: "127.0.0.1:" + p}
	if err = awaitHTTP(ctx, upstream.String()+"/stats"); err != nil {
		return fmt.Errorf("opentracker: %w", err)
	}
	tr.proxy = httputil.NewSingleHostReverseProxy(upstream)
	close(tr.ready)
	return nil
}

func (tr *Tracker) record(q url.Values) {
	hash := fmt.Sprintf("%x", q.Get("info_hash")) // the raw 20 bytes, URL-decoded by Query
	port, _ := strconv.Atoi(q.Get("port"))
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.announces[hash] = append(tr.announces[hash], Announce{Port: port, Event: q.Get("event"), At: time.Now()})
	close(tr.changed)
	tr.changed = make(chan struct{})
}

// Announces lists the announces of hash, leaving out those from the given ports (the seeder's).
func (tr *Tracker) Announces(hash string, exceptPorts ...int) []Announce {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []Announce
	for _, a := range tr.announces[hash] {
		skip := false
		for _, p := range exceptPorts {
			skip = skip || a.Port == p
		}
		if !skip {
			out = append(out, a)
		}
	}
	return out
}

// AwaitAnnounce waits until hash has been announced by a peer not on exceptPort.
func (tr *Tracker) AwaitAnnounce(ctx context.Context, hash string, exceptPort int) error {
	for {
		tr.mu.Lock()
		changed := tr.changed
		tr.mu.Unlock()
		if len(tr.Announces(hash, exceptPort)) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no announce of %s: %w", hash, ctx.Err())
		case <-changed:
		}
	}
}

// Stop stops the proxy and opentracker.
func (tr *Tracker) Stop() {
	_ = tr.server.Close()
	if tr.proc != nil {
		tr.proc.Stop()
	}
}

// awaitHTTP waits until url answers at all.
func awaitHTTP(ctx context.Context, url string) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never answered: %w", url, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
