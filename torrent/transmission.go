package torrent

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/seedgate/seedgate/torrent/kind"
)

// Transmission speaks Transmission's RPC (the protocol 3.00 and every 4.x accept; 4.1's
// JSON-RPC 2.0 dialect is not needed while the old one is served). It polls "recently-active"
// torrents, which costs a few bytes when nothing happens, and addresses torrents by hash only:
// the daemon renumbers its ids on every restart.
type Transmission struct {
	name     string
	endpoint string
	username string
	password string
	http     *http.Client

	mu         sync.Mutex
	sessionID  string
	idToHash   map[int64]string // this daemon session's ids, to name what "removed" lists
	needFull   bool             // the next poll lists everything: first poll, or a new daemon session
	lastPoll   time.Time
	rpcVersion int
	version    string
}

var _ Client = (*Transmission)(nil)

// recentlyActiveWindow is how long Transmission keeps a torrent "recently active", and its
// removals in "removed": a gap between polls longer than this could miss a removal, so the
// next poll lists everything instead.
const recentlyActiveWindow = 50 * time.Second

func init() {
	register(kind.Kind{Name: "transmission", Label: "Transmission", URL: kind.HTTP}, func(s Settings) (Client, error) {
		return NewTransmission(s.Name, s.URL, s.Username, s.Password)
	})
}

// NewTransmission returns an adapter for the RPC endpoint at baseURL (e.g.
// http://127.0.0.1:9091; /transmission/rpc is added when the URL has no path).
func NewTransmission(name, baseURL, username, password string) (*Transmission, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("transmission %s: bad url %q", name, baseURL)
	}
	if u.Path == "" {
		u.Path = "/transmission/rpc"
	}
	return &Transmission{
		name: name, endpoint: u.String(), username: username, password: password,
		http:     &http.Client{Timeout: 30 * time.Second},
		idToHash: map[int64]string{}, needFull: true,
	}, nil
}

// Name returns the configured name.
func (t *Transmission) Name() string { return t.name }

// Version returns what Connect learned about the daemon.
func (t *Transmission) Version() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.version
}

// Connect performs the session-id handshake and reads the daemon's version.
func (t *Transmission) Connect(ctx context.Context) error {
	var session struct {
		Version    string `json:"version"`
		RPCVersion int    `json:"rpc-version"`
	}
	if err := t.call(ctx, "session-get", map[string]any{"fields": []string{"version", "rpc-version"}}, &session); err != nil {
		return err
	}
	if session.RPCVersion < 15 {
		return fmt.Errorf("transmission %s: RPC version %d is too old (seedgate needs 15, Transmission 2.80, or newer)", t.name, session.RPCVersion)
	}
	t.mu.Lock()
	t.rpcVersion = session.RPCVersion
	t.version = fmt.Sprintf("Transmission %s (RPC %d)", session.Version, session.RPCVersion)
	t.mu.Unlock()
	return nil
}

type trRequest struct {
	Method    string `json:"method"`
	Arguments any    `json:"arguments,omitempty"`
}

type trResponse struct {
	Result    string          `json:"result"`
	Arguments json.RawMessage `json:"arguments"`
}

// call performs one RPC, repeating it once with a fresh X-Transmission-Session-Id when the
// daemon asks for one (409). A changed session id means the daemon restarted: its ids are
// renumbered, so the next poll lists everything.
func (t *Transmission) call(ctx context.Context, method string, args any, out any) error {
	_, err := t.callBytes(ctx, method, args, out)
	return err
}

func (t *Transmission) callBytes(ctx context.Context, method string, args any, out any) (int, error) {
	body, err := json.Marshal(trRequest{Method: method, Arguments: args})
	if err != nil {
		return 0, fmt.Errorf("transmission %s: %s: %w", t.name, method, err)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, bytes.NewReader(body))
		if err != nil {
			return 0, fmt.Errorf("transmission %s: %s: %w", t.name, method, err)
		}
		req.Header.Set("Content-Type", "application/json")
		if t.username != "" || t.password != "" {
			req.SetBasicAuth(t.username, t.password)
		}
		t.mu.Lock()
		if t.sessionID != "" {
			req.Header.Set("X-Transmission-Session-Id", t.sessionID)
		}
		t.mu.Unlock()
		resp, err := t.http.Do(req)
		if err != nil {
			return 0, fmt.Errorf("transmission %s: %s: %w", t.name, method, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		resp.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("transmission %s: %s: %w", t.name, method, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusConflict:
			id := resp.Header.Get("X-Transmission-Session-Id")
			if id == "" || attempt > 0 {
				return 0, fmt.Errorf("transmission %s: %s: HTTP 409 without a usable session id", t.name, method)
			}
			t.mu.Lock()
			if t.sessionID != "" && t.sessionID != id {
				t.needFull = true
				t.idToHash = map[int64]string{}
			}
			t.sessionID = id
			t.mu.Unlock()
			continue
		case http.StatusUnauthorized:
			return 0, fmt.Errorf("transmission %s: %w (rpc-username/rpc-password)", t.name, ErrAuth)
		case http.StatusForbidden:
			return 0, fmt.Errorf("transmission %s: %w: HTTP 403 (rpc-whitelist, or too many failed logins)", t.name, ErrBanned)
		default:
			return 0, fmt.Errorf("transmission %s: %s: unexpected HTTP %d", t.name, method, resp.StatusCode)
		}
		var answer trResponse
		if err = json.Unmarshal(raw, &answer); err != nil {
			return 0, fmt.Errorf("transmission %s: %s: malformed answer: %w", t.name, method, err)
		}
		if answer.Result != "success" {
			return 0, fmt.Errorf("transmission %s: %s: %w", t.name, method, &RemoteError{Message: answer.Result})
		}
		if out != nil {
			if err = json.Unmarshal(answer.Arguments, out); err != nil {
				return 0, fmt.Errorf("transmission %s: %s: malformed arguments: %w", t.name, method, err)
			}
		}
		return len(raw), nil
	}
}

// trFields are the torrent-get fields seedgate reads.
var trFields = []string{
	"id", "hashString", "name", "totalSize", "percentDone", "metadataPercentComplete", "status",
	"error", "errorString", "labels", "downloadDir", "addedDate", "trackers",
}

type trTorrent struct {
	ID               int64    `json:"id"`
	HashString       string   `json:"hashString"`
	Name             string   `json:"name"`
	TotalSize        int64    `json:"totalSize"`
	PercentDone      float64  `json:"percentDone"`
	MetadataComplete float64  `json:"metadataPercentComplete"`
	Status           int      `json:"status"`
	Error            int      `json:"error"`
	ErrorString      string   `json:"errorString"`
	Labels           []string `json:"labels"`
	DownloadDir      string   `json:"downloadDir"`
	AddedDate        int64    `json:"addedDate"`
	Trackers         []struct {
		Announce string `json:"announce"`
	} `json:"trackers"`
}

type trTorrentList struct {
	Torrents []trTorrent `json:"torrents"`
	Removed  []int64     `json:"removed"`
}

// Poll lists the recently-active torrents and the removed ids, or everything when the
// adapter has no trustworthy position (first poll, daemon restart, a long gap).
func (t *Transmission) Poll(ctx context.Context) (*Changes, error) {
	t.mu.Lock()
	full := t.needFull || time.Since(t.lastPoll) > recentlyActiveWindow
	t.mu.Unlock()
	args := map[string]any{"fields": trFields}
	if !full {
		args["ids"] = "recently-active"
	}
	var list trTorrentList
	n, err := t.callBytes(ctx, "torrent-get", args, &list)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.needFull && !full {
		// The daemon restarted during this call; its answer used new ids.
		return &Changes{Bytes: n}, nil
	}
	changes := &Changes{Full: full, Bytes: n}
	if full {
		t.idToHash = make(map[int64]string, len(list.Torrents))
	}
	for _, tr := range list.Torrents {
		hash := strings.ToLower(tr.HashString)
		t.idToHash[tr.ID] = hash
		changes.Torrents = append(changes.Torrents, tr.normalize())
	}
	for _, id := range list.Removed {
		if hash, ok := t.idToHash[id]; ok {
			changes.Removed = append(changes.Removed, hash)
			delete(t.idToHash, id)
		}
	}
	t.needFull = false
	t.lastPoll = time.Now()
	return changes, nil
}

// Get returns one torrent by hash.
func (t *Transmission) Get(ctx context.Context, hash string) (*Torrent, error) {
	var list trTorrentList
	if err := t.call(ctx, "torrent-get", map[string]any{"fields": trFields, "ids": []string{hash}}, &list); err != nil {
		return nil, err
	}
	for _, tr := range list.Torrents {
		if strings.EqualFold(tr.HashString, hash) {
			out := tr.normalize()
			return &out, nil
		}
	}
	return nil, fmt.Errorf("transmission %s: %s: %w", t.name, hash, ErrNoSuchTorrent)
}

func (tr *trTorrent) normalize() Torrent {
	out := Torrent{
		Hash: strings.ToLower(tr.HashString), Name: tr.Name, Size: tr.TotalSize, Progress: tr.PercentDone,
		State: trState(tr), RawState: trStatusWords[min(max(tr.Status, 0), len(trStatusWords)-1)],
		Tags: strings.Join(tr.Labels, ","), SavePath: tr.DownloadDir,
	}
	if tr.Error != 0 {
		out.RawState = "error: " + tr.ErrorString
	}
	if len(tr.Trackers) > 0 {
		out.Tracker = tr.Trackers[0].Announce
	}
	if tr.AddedDate > 0 {
		out.AddedAt = time.Unix(tr.AddedDate, 0)
	}
	return out
}

var trStatusWords = []string{"stopped", "check-wait", "check", "download-wait", "download", "seed-wait", "seed", "unknown"}

// trState maps Transmission's status numbers (tr_torrent_activity) and error codes. Error 1
// is a tracker warning, which leaves the torrent working; 2 and 3 are real errors.
func trState(tr *trTorrent) State {
	switch {
	case tr.Error >= 2:
		return StateErrored
	case tr.MetadataComplete < 1 && tr.Status != 0:
		return StateMetadata
	}
	switch tr.Status {
	case 0:
		return StateStopped
	case 1, 2:
		return StateChecking
	case 3, 4:
		return StateDownloading
	case 5, 6:
		return StateSeeding
	default:
		return StateUnknown
	}
}

// exists answers ErrNoSuchTorrent for a hash the daemon does not have: Transmission quietly
// ignores unknown ids in actions, which would report a stop that never happened.
func (t *Transmission) exists(ctx context.Context, hash string) error {
	var list trTorrentList
	if err := t.call(ctx, "torrent-get", map[string]any{"fields": []string{"hashString"}, "ids": []string{hash}}, &list); err != nil {
		return err
	}
	if len(list.Torrents) == 0 {
		return fmt.Errorf("transmission %s: %s: %w", t.name, hash, ErrNoSuchTorrent)
	}
	return nil
}

func (t *Transmission) action(ctx context.Context, method, hash string, extra map[string]any) error {
	if err := t.exists(ctx, hash); err != nil {
		return err
	}
	args := map[string]any{"ids": []string{hash}}
	for k, v := range extra {
		args[k] = v
	}
	return t.call(ctx, method, args, nil)
}

// Stop stops a torrent.
func (t *Transmission) Stop(ctx context.Context, hash string) error {
	return t.action(ctx, "torrent-stop", hash, nil)
}

// Start starts a torrent.
func (t *Transmission) Start(ctx context.Context, hash string) error {
	return t.action(ctx, "torrent-start", hash, nil)
}

// Remove removes a torrent, and its data when withData is set.
func (t *Transmission) Remove(ctx context.Context, hash string, withData bool) error {
	return t.action(ctx, "torrent-remove", hash, map[string]any{"delete-local-data": withData})
}

// SetCategory is not possible: Transmission has labels but no category.
func (t *Transmission) SetCategory(ctx context.Context, hash, category string) error {
	return fmt.Errorf("transmission %s: %w: Transmission has no categories (use tags, which are its labels)", t.name, ErrUnsupported)
}

// SetTags replaces a torrent's labels.
func (t *Transmission) SetTags(ctx context.Context, hash string, tags []string) error {
	if tags == nil {
		tags = []string{}
	}
	return t.action(ctx, "torrent-set", hash, map[string]any{"labels": tags})
}

// AddFile adds a .torrent file.
func (t *Transmission) AddFile(ctx context.Context, name string, metainfo []byte, opts AddOptions) error {
	return t.add(ctx, map[string]any{"metainfo": base64.StdEncoding.EncodeToString(metainfo)}, opts)
}

// AddMagnet adds a magnet link.
func (t *Transmission) AddMagnet(ctx context.Context, magnet string, opts AddOptions) error {
	return t.add(ctx, map[string]any{"filename": magnet}, opts)
}

func (t *Transmission) add(ctx context.Context, args map[string]any, opts AddOptions) error {
	if !opts.ClientDefault {
		args["paused"] = opts.Stopped
	}
	if opts.SavePath != "" {
		args["download-dir"] = opts.SavePath
	}
	if opts.Category != "" {
		return fmt.Errorf("transmission %s: add: %w: Transmission has no categories", t.name, ErrUnsupported)
	}
	var answer struct {
		Added     json.RawMessage `json:"torrent-added"`
		Duplicate json.RawMessage `json:"torrent-duplicate"`
	}
	if err := t.call(ctx, "torrent-add", args, &answer); err != nil {
		var remote *RemoteError
		if errors.As(err, &remote) {
			return fmt.Errorf("transmission %s: add: the client refused the torrent: %s", t.name, remote.Message)
		}
		return err
	}
	if answer.Duplicate != nil {
		return fmt.Errorf("transmission %s: add: refused (already present)", t.name)
	}
	return nil
}
