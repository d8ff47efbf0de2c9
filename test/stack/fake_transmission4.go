package stack

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/seedgate/seedgate/torrent/metainfo"
)

// FakeTransmission4 serves the parts of Transmission 4.0's RPC (rpc-version 17, the protocol
// of docs/rpc-spec.md at 4.0.6) that seedgate uses: Basic auth, the 409 session-id handshake,
// torrent-get with "recently-active" and "removed", torrent-add (metainfo, paused,
// torrent-duplicate), torrent-start|stop|remove|set (labels). Debian ships only 3.00.
type FakeTransmission4 struct {
	URL      string
	Username string
	Password string
	server   *httptest.Server

	mu        sync.Mutex
	sessionID string
	nextID    int64
	torrents  map[int64]*fakeTRTorrent
	removed   map[int64]time.Time
	addPaused bool // start-added-torrents, inverted
}

type fakeTRTorrent struct {
	ID          int64    `json:"id"`
	HashString  string   `json:"hashString"`
	Name        string   `json:"name"`
	TotalSize   int64    `json:"totalSize"`
	PercentDone float64  `json:"percentDone"`
	Metadata    float64  `json:"metadataPercentComplete"`
	Status      int      `json:"status"`
	Error       int      `json:"error"`
	ErrorString string   `json:"errorString"`
	Labels      []string `json:"labels"`
	DownloadDir string   `json:"downloadDir"`
	AddedDate   int64    `json:"addedDate"`
	Trackers    []any    `json:"trackers"`
	active      time.Time
}

// StartFakeTransmission4 starts the fake on 127.0.0.1.
func StartFakeTransmission4(username, password string) *FakeTransmission4 {
	f := &FakeTransmission4{Username: username, Password: password, sessionID: "fake-session-1",
		torrents: map[int64]*fakeTRTorrent{}, removed: map[int64]time.Time{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.server.URL
	return f
}

// Close stops the fake.
func (f *FakeTransmission4) Close() { f.server.Close() }

// Restart imitates a daemon restart: a new session id and renumbered torrent ids.
func (f *FakeTransmission4) Restart() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessionID = fmt.Sprintf("fake-session-%d", time.Now().UnixNano())
	renumbered := map[int64]*fakeTRTorrent{}
	for _, t := range f.torrents {
		f.nextID++
		t.ID = f.nextID + 100
		renumbered[t.ID] = t
	}
	f.torrents, f.removed = renumbered, map[int64]time.Time{}
}

type trCall struct {
	Method    string         `json:"method"`
	Arguments map[string]any `json:"arguments"`
	Tag       any            `json:"tag,omitempty"`
}

func (f *FakeTransmission4) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if user, pass, ok := r.BasicAuth(); !ok || user != f.Username || pass != f.Password {
		w.Header().Set("WWW-Authenticate", `Basic realm="Transmission"`)
		http.Error(w, "<h1>401: Unauthorized</h1>", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("X-Transmission-Session-Id") != f.sessionID {
		w.Header().Set("X-Transmission-Session-Id", f.sessionID)
		http.Error(w, "<h1>409: Conflict</h1>", http.StatusConflict)
		return
	}
	var call trCall
	if err := json.NewDecoder(r.Body).Decode(&call); err != nil {
		http.Error(w, "<h1>400: Bad Request</h1>", http.StatusBadRequest)
		return
	}
	args, result := f.dispatch(call)
	_ = json.NewEncoder(w).Encode(map[string]any{"arguments": args, "result": result, "tag": call.Tag})
}

func (f *FakeTransmission4) dispatch(call trCall) (map[string]any, string) {
	switch call.Method {
	case "session-get":
		return map[string]any{"version": "4.0.6 (38c164933e)", "rpc-version": 17, "rpc-version-minimum": 14, "rpc-version-semver": "5.3.0",
			"start-added-torrents": !f.addPaused}, "success"
	case "session-set":
		if start, ok := call.Arguments["start-added-torrents"].(bool); ok {
			f.addPaused = !start
		}
		return map[string]any{}, "success"
	case "torrent-get":
		return f.get(call.Arguments), "success"
	case "torrent-add":
		return f.add(call.Arguments)
	case "torrent-start", "torrent-stop", "torrent-remove", "torrent-set":
		now := time.Now()
		for _, t := range f.selected(call.Arguments["ids"]) {
			t.active = now
			switch call.Method {
			case "torrent-start":
				t.Status = 6
			case "torrent-stop":
				t.Status = 0
			case "torrent-remove":
				if del, _ := call.Arguments["delete-local-data"].(bool); del {
					_ = os.Remove(filepath.Join(t.DownloadDir, t.Name))
				}
				delete(f.torrents, t.ID)
				f.removed[t.ID] = now
			case "torrent-set":
				if labels, ok := call.Arguments["labels"].([]any); ok {
					t.Labels = []string{}
					for _, l := range labels {
						t.Labels = append(t.Labels, fmt.Sprint(l))
					}
				}
			}
		}
		return map[string]any{}, "success"
	default:
		return map[string]any{}, "method name not recognized"
	}
}

// selected resolves "ids": absent means all; numbers are ids, strings are hashes (or
// "recently-active").
func (f *FakeTransmission4) selected(ids any) []*fakeTRTorrent {
	var out []*fakeTRTorrent
	switch v := ids.(type) {
	case nil:
		for _, t := range f.torrents {
			out = append(out, t)
		}
	case string:
		if v == "recently-active" {
			for _, t := range f.torrents {
				if time.Since(t.active) < 60*time.Second {
					out = append(out, t)
				}
			}
		}
	case []any:
		for _, id := range v {
			for _, t := range f.torrents {
				if s, ok := id.(string); ok && strings.EqualFold(s, t.HashString) {
					out = append(out, t)
				} else if n, ok := id.(float64); ok && int64(n) == t.ID {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

func (f *FakeTransmission4) get(args map[string]any) map[string]any {
	list := []fakeTRTorrent{}
	for _, t := range f.selected(args["ids"]) {
		list = append(list, *t)
	}
	out := map[string]any{"torrents": list}
	if ids, _ := args["ids"].(string); ids == "recently-active" {
		removed := []int64{}
		for id, at := range f.removed {
			if time.Since(at) < 60*time.Second {
				removed = append(removed, id)
			}
		}
		out["removed"] = removed
	}
	return out
}

func (f *FakeTransmission4) add(args map[string]any) (map[string]any, string) {
	encoded, _ := args["metainfo"].(string)
	meta, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return map[string]any{}, "invalid or corrupt torrent file"
	}
	hash, err := metainfo.InfoHash(meta)
	if err != nil {
		return map[string]any{}, "invalid or corrupt torrent file"
	}
	for _, t := range f.torrents {
		if t.HashString == hash {
			return map[string]any{"torrent-duplicate": map[string]any{"id": t.ID, "hashString": hash, "name": t.Name}}, "success"
		}
	}
	name, size := metainfoNameLength(meta)
	f.nextID++
	status := 6
	if paused, given := args["paused"].(bool); paused || (!given && f.addPaused) {
		status = 0
	}
	dir, _ := args["download-dir"].(string)
	t := &fakeTRTorrent{ID: f.nextID, HashString: hash, Name: name, TotalSize: size, PercentDone: 1, Metadata: 1,
		Status: status, Labels: []string{}, DownloadDir: dir, AddedDate: time.Now().Unix(), Trackers: []any{}, active: time.Now()}
	f.torrents[t.ID] = t
	return map[string]any{"torrent-added": map[string]any{"id": t.ID, "hashString": hash, "name": name}}, "success"
}
