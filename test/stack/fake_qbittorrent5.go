package stack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/seedgate/seedgate/torrent/metainfo"
)

// FakeQBittorrent5 serves the parts of qBittorrent 5.1's Web API (WebAPI 2.11.x) that
// seedgate uses, as documented: login answering 204/401 with a QBT_SID_<port> cookie (5.2),
// "Authorization: Bearer qbt_..." API keys, torrents/stop|start (pause/resume are gone: 404),
// "stopped" on add, sync/maindata with rid diffs, categories and tags. Debian ships only 4.5.
type FakeQBittorrent5 struct {
	URL      string
	Password string
	APIKey   string
	server   *httptest.Server

	mu         sync.Mutex
	sessions   map[string]bool
	torrents   map[string]*fakeQBTorrent
	categories map[string]bool
	rid        int64
	snapshots  map[int64]map[string]fakeQBTorrent // rid -> state the client has seen
	addStopped bool                               // the add_stopped_enabled preference
}

type fakeQBTorrent struct {
	Hash     string  `json:"hash"`
	Name     string  `json:"name"`
	Size     int64   `json:"size"`
	Progress float64 `json:"progress"`
	State    string  `json:"state"`
	Category string  `json:"category"`
	Tags     string  `json:"tags"`
	SavePath string  `json:"save_path"`
}

// StartFakeQBittorrent5 starts the fake on 127.0.0.1.
func StartFakeQBittorrent5(password, apiKey string) *FakeQBittorrent5 {
	f := &FakeQBittorrent5{
		Password: password, APIKey: apiKey, sessions: map[string]bool{}, torrents: map[string]*fakeQBTorrent{},
		categories: map[string]bool{}, snapshots: map[int64]map[string]fakeQBTorrent{},
	}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.server.URL
	return f
}

// Close stops the fake.
func (f *FakeQBittorrent5) Close() { f.server.Close() }

func (f *FakeQBittorrent5) cookieName() string {
	return "QBT_SID_" + f.server.Listener.Addr().String()[strings.LastIndex(f.server.Listener.Addr().String(), ":")+1:]
}

func (f *FakeQBittorrent5) authorized(r *http.Request) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return f.APIKey != "" && auth == "Bearer "+f.APIKey
	}
	c, err := r.Cookie(f.cookieName())
	return err == nil && f.sessions[c.Value]
}

func (f *FakeQBittorrent5) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v2/")
	if path == "auth/login" {
		_ = r.ParseForm()
		if r.PostForm.Get("username") != "admin" || r.PostForm.Get("password") != f.Password {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		sid := fmt.Sprintf("sid%d", len(f.sessions)+1)
		f.sessions[sid] = true
		http.SetCookie(w, &http.Cookie{Name: f.cookieName(), Value: sid, Path: "/", HttpOnly: true})
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !f.authorized(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodPost {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			_ = r.ParseMultipartForm(32 << 20)
		} else {
			_ = r.ParseForm()
		}
	}
	hashes := func() []string { return strings.Split(strings.ToLower(r.FormValue("hashes")), "|") }
	switch path {
	case "app/webapiVersion":
		io.WriteString(w, "2.11.4")
	case "app/version":
		io.WriteString(w, "v5.1.2")
	case "sync/maindata":
		f.maindata(w, r)
	case "torrents/info":
		var list []fakeQBTorrent
		for _, h := range hashes() {
			if t := f.torrents[h]; t != nil {
				list = append(list, *t)
			}
		}
		if list == nil {
			list = []fakeQBTorrent{}
		}
		_ = json.NewEncoder(w).Encode(list)
	case "torrents/stop", "torrents/start":
		for _, h := range hashes() {
			if t := f.torrents[h]; t != nil {
				t.State = map[bool]string{true: "stoppedUP", false: "stalledUP"}[path == "torrents/stop"]
			}
		}
	case "torrents/delete":
		for _, h := range hashes() {
			if t := f.torrents[h]; t != nil && r.FormValue("deleteFiles") == "true" && t.SavePath != "" {
				_ = os.Remove(filepath.Join(t.SavePath, t.Name))
			}
			delete(f.torrents, h)
		}
	case "torrents/createCategory":
		name := r.FormValue("category")
		if f.categories[name] {
			w.WriteHeader(http.StatusConflict)
			return
		}
		f.categories[name] = true
	case "torrents/setCategory":
		name := r.FormValue("category")
		if name != "" && !f.categories[name] {
			w.WriteHeader(http.StatusConflict)
			return
		}
		for _, h := range hashes() {
			if t := f.torrents[h]; t != nil {
				t.Category = name
			}
		}
	case "torrents/addTags", "torrents/removeTags":
		for _, h := range hashes() {
			if t := f.torrents[h]; t != nil {
				t.Tags = editTags(t.Tags, r.FormValue("tags"), path == "torrents/addTags")
			}
		}
	case "torrents/add":
		f.add(w, r)
	case "app/preferences":
		_ = json.NewEncoder(w).Encode(map[string]any{"add_stopped_enabled": f.addStopped, "web_ui_port": 8080})
	case "app/setPreferences":
		var prefs map[string]any
		if err := json.Unmarshal([]byte(r.FormValue("json")), &prefs); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if v, ok := prefs["add_stopped_enabled"].(bool); ok {
			f.addStopped = v
		}
	default:
		w.WriteHeader(http.StatusNotFound) // includes torrents/pause and torrents/resume
	}
}

func editTags(have, change string, add bool) string {
	var tags []string
	if have != "" {
		tags = strings.Split(have, ", ")
	}
	if !add && change == "" {
		return ""
	}
	for _, tag := range strings.Split(change, ",") {
		tag = strings.TrimSpace(tag)
		if i := slices.Index(tags, tag); add && i < 0 {
			tags = append(tags, tag)
		} else if !add && i >= 0 {
			tags = slices.Delete(tags, i, i+1)
		}
	}
	slices.Sort(tags)
	return strings.Join(tags, ", ")
}

func (f *FakeQBittorrent5) add(w http.ResponseWriter, r *http.Request) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["torrents"]) == 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	file, err := r.MultipartForm.File["torrents"][0].Open()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	defer file.Close()
	meta, _ := io.ReadAll(file)
	hash, err := metainfo.InfoHash(meta)
	if err != nil {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	if f.torrents[hash] != nil {
		io.WriteString(w, "Fails.")
		return
	}
	if r.FormValue("paused") != "" {
		w.WriteHeader(http.StatusBadRequest) // 5.x renamed it to "stopped"
		return
	}
	state := "stalledUP"
	if stopped := r.FormValue("stopped"); stopped == "true" || (stopped == "" && f.addStopped) {
		state = "stoppedUP"
	}
	name, size := metainfoNameLength(meta)
	f.torrents[hash] = &fakeQBTorrent{Hash: hash, Name: name, Size: size, Progress: 1, State: state, SavePath: r.FormValue("savepath")}
	io.WriteString(w, "Ok.")
}

// maindata answers with a full update for rid 0 or an unknown rid, else with the fields that
// changed since the state the client saw at rid, as qBittorrent does.
func (f *FakeQBittorrent5) maindata(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("rid"), 10, 64)
	f.rid++
	snapshot := map[string]fakeQBTorrent{}
	for h, t := range f.torrents {
		snapshot[h] = *t
	}
	f.snapshots[f.rid] = snapshot
	prev, known := f.snapshots[since]
	out := map[string]any{"rid": f.rid}
	torrents := map[string]any{}
	if since == 0 || !known {
		out["full_update"] = true
		for h, t := range snapshot {
			torrents[h] = t
		}
	} else {
		var removed []string
		for h := range prev {
			if _, ok := snapshot[h]; !ok {
				removed = append(removed, h)
			}
		}
		for h, t := range snapshot {
			if p, ok := prev[h]; !ok {
				torrents[h] = t
			} else if p != t {
				torrents[h] = diffQBFields(p, t)
			}
		}
		if removed != nil {
			out["torrents_removed"] = removed
		}
	}
	if len(torrents) > 0 {
		out["torrents"] = torrents
	}
	_ = json.NewEncoder(w).Encode(out)
}

func diffQBFields(p, t fakeQBTorrent) map[string]any {
	d := map[string]any{}
	if p.State != t.State {
		d["state"] = t.State
	}
	if p.Progress != t.Progress {
		d["progress"] = t.Progress
	}
	if p.Category != t.Category {
		d["category"] = t.Category
	}
	if p.Tags != t.Tags {
		d["tags"] = t.Tags
	}
	if p.Name != t.Name {
		d["name"] = t.Name
	}
	return d
}

// metainfoNameLength reads a single-file torrent's name and length (enough for a fake).
func metainfoNameLength(meta []byte) (string, int64) {
	text := string(meta)
	name := ""
	if i := strings.Index(text, "4:name"); i >= 0 {
		rest := text[i+6:]
		if colon := strings.IndexByte(rest, ':'); colon > 0 {
			if n, err := strconv.Atoi(rest[:colon]); err == nil && colon+1+n <= len(rest) {
				name = rest[colon+1 : colon+1+n]
			}
		}
	}
	var length int64
	if i := strings.Index(text, "6:lengthi"); i >= 0 {
		rest := text[i+9:]
		if e := strings.IndexByte(rest, 'e'); e > 0 {
			length, _ = strconv.ParseInt(rest[:e], 10, 64)
		}
	}
	return name, length
}
