package torrent

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seedgate/seedgate/torrent/kind"
)

// Deluge speaks Deluge's Web UI JSON-RPC (deluge-web 2.x). After one full listing it asks
// the web server's event queue what happened and reads only the torrents named there, so an
// idle poll is two small requests. web.get_events is a long poll: deluge-web answers as soon
// as an event is queued, or with nothing after about five seconds. The Web UI must know the daemon: the adapter connects it to
// the first daemon that is online when it is not connected already.
type Deluge struct {
	name     string
	endpoint string
	password string
	http     *http.Client

	connectMu sync.Mutex // one login/connect at a time: deluge-web has a single daemon connection

	mu       sync.Mutex
	nextID   int64
	ready    bool // logged in, connected to a daemon, listening for events
	needFull bool
	counts   string // torrents per state at the last poll: a change without an event means lost events
	version  string
}

var _ Client = (*Deluge)(nil)

// delugeEvents are the events the adapter listens for; each names a torrent id first.
var delugeEvents = []string{
	"TorrentAddedEvent", "TorrentRemovedEvent", "TorrentStateChangedEvent", "TorrentFinishedEvent",
	"TorrentResumedEvent", "TorrentFileRenamedEvent", "TorrentFolderRenamedEvent",
}

// delugeKeys are the status keys seedgate reads.
var delugeKeys = []string{
	"hash", "name", "total_size", "progress", "state", "label", "download_location", "tracker_host",
	"time_added", "message", "has_metadata",
}

// delugeCallTimeout bounds one call; listing 10,000 torrents takes deluged about two seconds.
const delugeCallTimeout = 10 * time.Second

func init() {
	register(kind.Kind{Name: "deluge", Label: "Deluge", URL: kind.HTTP}, func(s Settings) (Client, error) {
		return NewDeluge(s.Name, s.URL, s.Password)
	})
}

// NewDeluge returns an adapter for the Web UI at baseURL (e.g. http://127.0.0.1:8112).
func NewDeluge(name, baseURL, password string) (*Deluge, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("deluge %s: bad url %q", name, baseURL)
	}
	if !strings.HasSuffix(u.Path, "/json") {
		u.Path += "/json"
	}
	jar, _ := cookiejar.New(nil)
	return &Deluge{
		name: name, endpoint: u.String(), password: password,
		http: &http.Client{Jar: jar}, needFull: true,
	}, nil
}

// Name returns the configured name.
func (d *Deluge) Name() string { return d.name }

// Version returns what Connect learned.
func (d *Deluge) Version() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.version
}

// delugeError is the error member of a JSON-RPC answer.
type delugeError struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// Deluge's error codes: 1 not authenticated, 2 unknown method, 3 and 4 the call failed.
const (
	delugeNotAuthenticated = 1
	delugeUnknownMethod    = 2
)

// summary is the first line of a failure without Twisted's traceback, which can name paths.
func (e *delugeError) summary() string {
	msg := e.Message
	if i := strings.LastIndex(msg, ">: "); i >= 0 {
		msg = msg[i+3:]
	}
	msg, _, _ = strings.Cut(msg, "\n")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return strings.TrimSpace(msg)
}

// rpc performs one JSON-RPC call and decodes its result into out.
func (d *Deluge) rpc(ctx context.Context, method string, params []any, out any) (int, error) {
	if params == nil {
		params = []any{}
	}
	d.mu.Lock()
	d.nextID++
	id := d.nextID
	d.mu.Unlock()
	body, err := json.Marshal(map[string]any{"method": method, "params": params, "id": id})
	if err != nil {
		return 0, fmt.Errorf("deluge %s: %s: %w", d.name, method, err)
	}
	// deluge-web never answers a call it forwarded to a daemon that went away mid-call, so
	// every call has a deadline; web.get_events long-polls for up to five seconds.
	timeout := delugeCallTimeout
	if method == "web.get_events" {
		timeout += 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("deluge %s: %s: %w", d.name, method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deluge %s: %s: %w", d.name, method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, fmt.Errorf("deluge %s: %s: %w", d.name, method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("deluge %s: %s: unexpected HTTP %d", d.name, method, resp.StatusCode)
	}
	var answer struct {
		Result json.RawMessage `json:"result"`
		Error  *delugeError    `json:"error"`
	}
	if err = json.Unmarshal(raw, &answer); err != nil {
		return 0, fmt.Errorf("deluge %s: %s: malformed answer: %w", d.name, method, err)
	}
	if answer.Error != nil {
		d.mu.Lock()
		if answer.Error.Code == delugeNotAuthenticated {
			d.ready = false // the web server restarted or the session expired
		}
		d.mu.Unlock()
		return 0, fmt.Errorf("deluge %s: %s: %w", d.name, method, &delugeCallError{code: answer.Error.Code, msg: answer.Error.summary()})
	}
	if out != nil {
		if err = json.Unmarshal(answer.Result, out); err != nil {
			return 0, fmt.Errorf("deluge %s: %s: malformed result: %w", d.name, method, err)
		}
	}
	return len(raw), nil
}

// core performs a daemon call through the Web UI. When the Web UI has lost its daemon (the
// daemon restarted), it connects again and repeats the call once.
func (d *Deluge) core(ctx context.Context, method string, params []any, out any) (int, error) {
	n, err := d.rpc(ctx, method, params, out)
	if err == nil || delugeCode(err) == delugeUnknownMethod {
		return n, err
	}
	var connected bool
	if _, cerr := d.rpc(ctx, "web.connected", nil, &connected); cerr == nil && connected {
		return n, err
	}
	if cerr := d.Connect(ctx); cerr != nil {
		return n, errors.Join(err, cerr)
	}
	return d.rpc(ctx, method, params, out)
}

// delugeCallError is a JSON-RPC error, kept typed so callers can tell the codes apart.
type delugeCallError struct {
	code int
	msg  string
}

func (e *delugeCallError) Error() string {
	return fmt.Sprintf("the client answered (code %d): %s", e.code, e.msg)
}

func delugeCode(err error) int {
	var ce *delugeCallError
	if errors.As(err, &ce) {
		return ce.code
	}
	return 0
}

// Connect logs in to the Web UI, connects it to a daemon when it is not, and listens for
// torrent events.
func (d *Deluge) Connect(ctx context.Context) error {
	d.connectMu.Lock()
	defer d.connectMu.Unlock()
	var ok bool
	if _, err := d.rpc(ctx, "auth.login", []any{d.password}, &ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("deluge %s: %w (the Web UI password)", d.name, ErrAuth)
	}
	var connected bool
	if _, err := d.rpc(ctx, "web.connected", nil, &connected); err != nil {
		return err
	}
	var hosts [][]any
	if _, err := d.rpc(ctx, "web.get_hosts", nil, &hosts); err != nil {
		return err
	}
	version := ""
	for _, host := range hosts {
		if len(host) < 3 {
			continue
		}
		hostID, _ := host[0].(string)
		var status []any
		if _, err := d.rpc(ctx, "web.get_host_status", []any{hostID}, &status); err != nil || len(status) < 3 {
			continue
		}
		state, _ := status[1].(string)
		if connected && state == "Connected" || !connected && state == "Online" {
			if !connected {
				if _, err := d.rpc(ctx, "web.connect", []any{hostID}, nil); err != nil {
					return err
				}
			}
			version, _ = status[2].(string)
			connected = true
			break
		}
	}
	if !connected {
		return fmt.Errorf("deluge %s: the Web UI is not connected to a daemon and knows none that is online: add the daemon in its Connection Manager", d.name)
	}
	for _, event := range delugeEvents {
		if _, err := d.rpc(ctx, "web.register_event_listener", []any{event}, nil); err != nil {
			return err
		}
	}
	d.mu.Lock()
	d.ready, d.needFull = true, true
	if version != "" {
		d.version = "Deluge " + version
	} else if d.version == "" {
		d.version = "Deluge (daemon version unknown)"
	}
	d.mu.Unlock()
	return nil
}

type delugeTorrent struct {
	Hash        string  `json:"hash"`
	Name        string  `json:"name"`
	TotalSize   int64   `json:"total_size"`
	Progress    float64 `json:"progress"` // percent
	State       string  `json:"state"`
	Label       string  `json:"label"`
	Location    string  `json:"download_location"`
	TrackerHost string  `json:"tracker_host"`
	TimeAdded   float64 `json:"time_added"`
	Message     string  `json:"message"`
	HasMetadata *bool   `json:"has_metadata"`
}

// Poll lists everything the first time (and after the web session or daemon connection was
// lost), then only the torrents named by events since.
// Interrupted is told that a poll was cut short (a hook's poke ended the web.get_events wait):
// the events that answer carried may be lost, so the next poll lists everything.
// WillWait reports whether the next poll waits on web.get_events rather than listing.
func (d *Deluge) WillWait() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ready && !d.needFull
}

func (d *Deluge) Interrupted() {
	d.mu.Lock()
	d.needFull = true
	d.mu.Unlock()
}

func (d *Deluge) Poll(ctx context.Context) (*Changes, error) {
	d.mu.Lock()
	ready, full := d.ready, d.needFull
	d.mu.Unlock()
	if !ready {
		if err := d.Connect(ctx); err != nil {
			return nil, err
		}
		full = true
	}
	if full {
		// Events already queued stay queued: the next poll reads their torrents again, which
		// costs a few bytes and loses nothing that happens during the listing.
		status, n, err := d.status(ctx, map[string]any{})
		if err != nil {
			return nil, err
		}
		counts, m, err := d.stateCounts(ctx)
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.needFull, d.counts = false, counts
		d.mu.Unlock()
		changes := &Changes{Full: true, Bytes: n + m}
		for hash, t := range status {
			changes.Torrents = append(changes.Torrents, t.normalize(hash))
		}
		return changes, nil
	}
	var events [][]json.RawMessage
	waitStart := time.Now()
	n, err := d.rpc(ctx, "web.get_events", nil, &events)
	waited := time.Since(waitStart)
	if err != nil {
		return nil, err
	}
	counts, m, err := d.stateCounts(ctx)
	if err != nil {
		return nil, err
	}
	n += m
	d.mu.Lock()
	drifted := d.counts != "" && !eventsExplain(events, d.counts, counts)
	d.counts = counts
	d.mu.Unlock()

	if drifted {
		// Torrents changed state and no event said so: deluge-web stops relaying events
		// after its daemon reconnects. Listen afresh and list everything once.
		if err = d.relisten(ctx); err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.needFull = true
		d.mu.Unlock()
		changes, err := d.Poll(ctx)
		if changes != nil {
			changes.Bytes += n
			changes.Waited += waited
		}
		return changes, err
	}
	changes := &Changes{Bytes: n, Waited: waited}
	touched, removed := map[string]bool{}, map[string]bool{}
	for _, evt := range events {
		var name string
		var args []json.RawMessage
		if len(evt) != 2 || json.Unmarshal(evt[0], &name) != nil || json.Unmarshal(evt[1], &args) != nil || len(args) == 0 {
			return nil, fmt.Errorf("deluge %s: web.get_events: malformed event %s", d.name, truncate(fmt.Sprintf("%s", evt), 200))
		}
		var hash string
		if json.Unmarshal(args[0], &hash) != nil || hash == "" {
			continue
		}
		hash = strings.ToLower(hash)
		if name == "TorrentRemovedEvent" {
			removed[hash], touched[hash] = true, false
		} else {
			touched[hash], removed[hash] = true, false
		}
	}
	var ids []string
	for hash, ok := range touched {
		if ok {
			ids = append(ids, hash)
		}
	}
	for hash, ok := range removed {
		if ok {
			changes.Removed = append(changes.Removed, hash)
		}
	}
	if len(ids) > 0 {
		status, m, err := d.status(ctx, map[string]any{"id": ids})
		if err != nil {
			return nil, err
		}
		changes.Bytes += m
		for hash, t := range status {
			changes.Torrents = append(changes.Torrents, t.normalize(hash))
		}
	}
	return changes, nil
}

// eventsExplain reports whether a batch of events can account for the change between two
// state counts: a different total needs an add or a remove event, other changes some event.
// When they cannot, events were lost.
func eventsExplain(events [][]json.RawMessage, before, after string) bool {
	if before == after {
		return true
	}
	addedOrRemoved := false
	for _, evt := range events {
		var name string
		if len(evt) > 0 && json.Unmarshal(evt[0], &name) == nil && (name == "TorrentAddedEvent" || name == "TorrentRemovedEvent") {
			addedOrRemoved = true
		}
	}
	if total(before) != total(after) {
		return addedOrRemoved
	}
	return len(events) > 0
}

// total reads the "All=n" entry of a state count.
func total(counts string) string {
	for _, part := range strings.Split(counts, ",") {
		if strings.HasPrefix(part, "All=") {
			return part
		}
	}
	return ""
}

// stateCounts returns how many torrents are in each state, as one comparable string. It is a
// cheap fingerprint (a few hundred bytes whatever the number of torrents) of what the events
// should have reported.
func (d *Deluge) stateCounts(ctx context.Context) (string, int, error) {
	// Hide the tracker list, which grows with the number of trackers; only "state" is read.
	// (Naming a category that is absent, like "label" without the Label plugin, is an error.)
	var tree map[string][][]any
	n, err := d.core(ctx, "core.get_filter_tree", []any{true, []string{"tracker_host"}}, &tree)
	if err != nil {
		return "", 0, err
	}
	var parts []string
	for _, entry := range tree["state"] {
		if len(entry) == 2 && entry[0] != "Active" {
			parts = append(parts, fmt.Sprint(entry[0], "=", entry[1]))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ","), n, nil
}

// relisten drops and renews this session's event listeners, which makes deluge-web register
// them with its current daemon connection when no other session listens.
func (d *Deluge) relisten(ctx context.Context) error {
	for _, event := range delugeEvents {
		if _, err := d.rpc(ctx, "web.deregister_event_listener", []any{event}, nil); err != nil {
			return err
		}
		if _, err := d.rpc(ctx, "web.register_event_listener", []any{event}, nil); err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (d *Deluge) status(ctx context.Context, filter map[string]any) (map[string]delugeTorrent, int, error) {
	var status map[string]delugeTorrent
	n, err := d.core(ctx, "core.get_torrents_status", []any{filter, delugeKeys}, &status)
	return status, n, err
}

// Get returns one torrent.
func (d *Deluge) Get(ctx context.Context, hash string) (*Torrent, error) {
	var t delugeTorrent
	if _, err := d.core(ctx, "core.get_torrent_status", []any{strings.ToLower(hash), delugeKeys}, &t); err != nil {
		return nil, err
	}
	if t.Hash == "" {
		return nil, fmt.Errorf("deluge %s: %s: %w", d.name, hash, ErrNoSuchTorrent)
	}
	out := t.normalize(strings.ToLower(t.Hash))
	return &out, nil
}

func (t *delugeTorrent) normalize(hash string) Torrent {
	out := Torrent{
		Hash: strings.ToLower(hash), Name: t.Name, Size: t.TotalSize, Progress: math.Min(t.Progress/100, 1),
		State: delugeState(t), RawState: t.State, Category: t.Label, SavePath: t.Location, Tracker: t.TrackerHost,
	}
	if t.State == "Error" && t.Message != "" {
		out.RawState = "Error: " + truncate(t.Message, 120)
	}
	if t.TimeAdded > 0 {
		out.AddedAt = time.Unix(int64(t.TimeAdded), 0)
	}
	return out
}

func delugeState(t *delugeTorrent) State {
	if t.HasMetadata != nil && !*t.HasMetadata && t.State != "Paused" && t.State != "Error" {
		return StateMetadata
	}
	switch t.State {
	case "Seeding":
		return StateSeeding
	case "Downloading":
		return StateDownloading
	case "Queued":
		if t.Progress >= 100 {
			return StateSeeding
		}
		return StateDownloading
	case "Paused":
		return StateStopped
	case "Checking", "Allocating", "Moving":
		return StateChecking
	case "Error":
		return StateErrored
	default:
		return StateUnknown
	}
}

// action runs one core call on an existing torrent.
func (d *Deluge) action(ctx context.Context, method, hash string, extra ...any) error {
	if _, err := d.Get(ctx, hash); err != nil {
		return err
	}
	_, err := d.core(ctx, method, append([]any{strings.ToLower(hash)}, extra...), nil)
	return err
}

// Stop pauses a torrent.
func (d *Deluge) Stop(ctx context.Context, hash string) error {
	return d.action(ctx, "core.pause_torrent", hash)
}

// Start resumes a torrent.
func (d *Deluge) Start(ctx context.Context, hash string) error {
	return d.action(ctx, "core.resume_torrent", hash)
}

// Remove removes a torrent, and its data when withData is set.
func (d *Deluge) Remove(ctx context.Context, hash string, withData bool) error {
	return d.action(ctx, "core.remove_torrent", hash, withData)
}

// SetCategory sets the torrent's label (the Label plugin's one label per torrent), creating
// the label first.
func (d *Deluge) SetCategory(ctx context.Context, hash, category string) error {
	if _, err := d.Get(ctx, hash); err != nil {
		return err
	}
	category = strings.ToLower(category) // the Label plugin lowercases labels itself
	if category != "" {
		var labels []string
		if _, err := d.rpc(ctx, "label.get_labels", nil, &labels); err != nil {
			if delugeCode(err) == delugeUnknownMethod {
				return fmt.Errorf("deluge %s: %w: enable the Label plugin for categories", d.name, ErrUnsupported)
			}
			return err
		}
		if !slices.Contains(labels, category) {
			if _, err := d.rpc(ctx, "label.add", []any{category}, nil); err != nil {
				return err
			}
		}
	}
	_, err := d.rpc(ctx, "label.set_torrent", []any{strings.ToLower(hash), category}, nil)
	return err
}

// SetTags is not possible: Deluge has one label per torrent, which seedgate treats as the
// category.
func (d *Deluge) SetTags(ctx context.Context, hash string, tags []string) error {
	return fmt.Errorf("deluge %s: %w: Deluge has one label per torrent (set it as the category)", d.name, ErrUnsupported)
}

// AddFile adds a .torrent file.
func (d *Deluge) AddFile(ctx context.Context, name string, metainfo []byte, opts AddOptions) error {
	return d.add(ctx, "core.add_torrent_file", []any{name, base64.StdEncoding.EncodeToString(metainfo)}, opts)
}

// AddMagnet adds a magnet link.
func (d *Deluge) AddMagnet(ctx context.Context, magnet string, opts AddOptions) error {
	return d.add(ctx, "core.add_torrent_magnet", []any{magnet}, opts)
}

func (d *Deluge) add(ctx context.Context, method string, params []any, opts AddOptions) error {
	options := map[string]any{}
	if !opts.ClientDefault {
		options["add_paused"] = opts.Stopped
	}
	if opts.SavePath != "" {
		options["download_location"] = opts.SavePath
	}
	var hash string
	if _, err := d.core(ctx, method, append(params, options), &hash); err != nil {
		return err
	}
	if opts.Category != "" {
		return d.SetCategory(ctx, hash, opts.Category)
	}
	return nil
}
