package torrent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/seedgate/seedgate/torrent/kind"
	"github.com/seedgate/seedgate/torrent/metainfo"
)

// RTorrent speaks rTorrent's XML-RPC over SCGI (scgi:///path/to/socket or
// scgi://127.0.0.1:5000) or over HTTP (a web server's /RPC2). rTorrent has no change feed, so
// each poll first reads the sizes of its built-in views — a few hundred bytes whatever the
// number of torrents — and lists every torrent only when they changed, or every
// rtorrentFullEvery for what views do not count (errors, names).
type RTorrent struct {
	name      string
	transport interface {
		roundTrip(ctx context.Context, body []byte) ([]byte, error)
	}

	mu          sync.Mutex
	fingerprint string
	lastFull    time.Time
	trackers    map[string]string // hash -> first tracker URL, read once per torrent
	version     string
}

var _ Client = (*RTorrent)(nil)

// rtorrentFullEvery bounds how stale an unchanged fingerprint may leave the listing.
const rtorrentFullEvery = 30 * time.Second

// rtorrentViews are the built-in views whose sizes move whenever a torrent is added,
// removed, started, stopped, paused, checked or completed.
var rtorrentViews = []string{"main", "started", "stopped", "complete", "incomplete", "hashing", "active", "seeding", "leeching"}

// rtorrentFields are what a listing reads for each torrent, in this order.
var rtorrentFields = []string{
	"d.hash=", "d.name=", "d.size_bytes=", "d.completed_bytes=", "d.state=", "d.is_active=",
	"d.complete=", "d.hashing=", "d.message=", "d.custom1=", "d.directory=", "d.is_meta=", "d.load_date=",
}

func init() {
	register(kind.Kind{Name: "rtorrent", Label: "rTorrent", URL: kind.SCGIOrHTTP, PasswordOptional: true}, func(s Settings) (Client, error) {
		return NewRTorrent(s.Name, s.URL, s.Username, s.Password)
	})
}

// NewRTorrent returns an adapter for address: scgi:///run/rtorrent.sock,
// scgi://127.0.0.1:5000 or http(s)://host/RPC2.
func NewRTorrent(name, address, username, password string) (*RTorrent, error) {
	u, err := url.Parse(address)
	if err != nil {
		return nil, fmt.Errorf("rtorrent %s: bad url %q", name, address)
	}
	r := &RTorrent{name: name, trackers: map[string]string{}}
	switch {
	case u.Scheme == "scgi" && u.Host == "" && u.Path != "":
		r.transport = &scgiTransport{network: "unix", address: u.Path, timeout: 30 * time.Second}
	case u.Scheme == "scgi" && u.Host != "":
		r.transport = &scgiTransport{network: "tcp", address: u.Host, timeout: 30 * time.Second}
	case u.Scheme == "http" || u.Scheme == "https":
		r.transport = &httpXMLRPC{url: address, username: username, password: password, client: &http.Client{Timeout: 30 * time.Second}}
	default:
		return nil, fmt.Errorf("rtorrent %s: url %q must be scgi:///path/to/socket, scgi://host:port or http(s)://host/RPC2", name, address)
	}
	return r, nil
}

// Name returns the configured name.
func (r *RTorrent) Name() string { return r.name }

// Version returns what Connect learned.
func (r *RTorrent) Version() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// call performs one XML-RPC call; it returns the answer and its size in bytes.
func (r *RTorrent) call(ctx context.Context, method string, params ...any) (any, int, error) {
	body, err := encodeXMLRPC(method, params)
	if err != nil {
		return nil, 0, fmt.Errorf("rtorrent %s: %w", r.name, err)
	}
	raw, err := r.transport.roundTrip(ctx, body)
	if err != nil {
		return nil, 0, fmt.Errorf("rtorrent %s: %s: %w", r.name, method, err)
	}
	v, err := decodeXMLRPC(strings.NewReader(string(raw)))
	if err != nil {
		var fault *XMLRPCFault
		if errors.As(err, &fault) && strings.Contains(fault.String, "find info-hash") {
			return nil, len(raw), fmt.Errorf("rtorrent %s: %s: %w", r.name, method, ErrNoSuchTorrent)
		}
		return nil, len(raw), fmt.Errorf("rtorrent %s: %s: %w", r.name, method, err)
	}
	return v, len(raw), nil
}

// multicall runs several calls in one round trip and returns each one's value.
func (r *RTorrent) multicall(ctx context.Context, calls [][]any) ([]any, int, error) {
	list := make([]any, len(calls))
	for i, c := range calls {
		list[i] = map[string]any{"methodName": c[0], "params": c[1:]}
	}
	v, n, err := r.call(ctx, "system.multicall", list)
	if err != nil {
		return nil, n, err
	}
	answers, ok := v.([]any)
	if !ok || len(answers) != len(calls) {
		return nil, n, fmt.Errorf("rtorrent %s: system.multicall: malformed answer", r.name)
	}
	out := make([]any, len(calls))
	for i, a := range answers {
		if fault, ok := a.(map[string]any); ok {
			text, _ := fault["faultString"].(string)
			if strings.Contains(text, "find info-hash") {
				return nil, n, fmt.Errorf("rtorrent %s: %w", r.name, ErrNoSuchTorrent)
			}
			return nil, n, fmt.Errorf("rtorrent %s: %v: the client answered: %s", r.name, calls[i][0], text)
		}
		wrapped, ok := a.([]any)
		if !ok || len(wrapped) != 1 {
			return nil, n, fmt.Errorf("rtorrent %s: system.multicall: malformed answer", r.name)
		}
		out[i] = wrapped[0]
	}
	return out, n, nil
}

// Connect reads the client's and library's versions.
func (r *RTorrent) Connect(ctx context.Context) error {
	v, _, err := r.multicall(ctx, [][]any{{"system.client_version"}, {"system.library_version"}})
	if err != nil {
		return err
	}
	client, _ := v[0].(string)
	library, _ := v[1].(string)
	r.mu.Lock()
	r.version = fmt.Sprintf("rTorrent %s (libtorrent %s)", client, library)
	r.fingerprint = "" // list everything on the next poll
	r.mu.Unlock()
	return nil
}

// Poll lists every torrent when the view sizes moved (or the listing is old), else nothing.
func (r *RTorrent) Poll(ctx context.Context) (*Changes, error) {
	calls := make([][]any, len(rtorrentViews))
	for i, view := range rtorrentViews {
		calls[i] = []any{"view.size", "", view}
	}
	sizes, n, err := r.multicall(ctx, calls)
	if err != nil {
		return nil, err
	}
	fingerprint := fmt.Sprint(sizes...)
	r.mu.Lock()
	unchanged := fingerprint == r.fingerprint && time.Since(r.lastFull) < rtorrentFullEvery
	r.mu.Unlock()
	if unchanged {
		return &Changes{Bytes: n}, nil
	}
	params := []any{"", "main"}
	for _, f := range rtorrentFields {
		params = append(params, f)
	}
	v, m, err := r.call(ctx, "d.multicall2", params...)
	if err != nil {
		return nil, err
	}
	rows, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("rtorrent %s: d.multicall2: malformed answer", r.name)
	}
	changes := &Changes{Full: true, Bytes: n + m}
	for _, row := range rows {
		fields, ok := row.([]any)
		if !ok || len(fields) != len(rtorrentFields) {
			return nil, fmt.Errorf("rtorrent %s: d.multicall2: malformed row", r.name)
		}
		t := rtorrentTorrent(fields)
		changes.Torrents = append(changes.Torrents, t)
	}
	if err = r.fillTrackers(ctx, changes.Torrents); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.fingerprint, r.lastFull = fingerprint, time.Now()
	r.mu.Unlock()
	return changes, nil
}

// fillTrackers sets each torrent's first tracker, asking rTorrent only for torrents it has
// not seen before.
func (r *RTorrent) fillTrackers(ctx context.Context, list []Torrent) error {
	r.mu.Lock()
	var missing []int
	seen := make(map[string]bool, len(list))
	for i := range list {
		seen[list[i].Hash] = true
		if tracker, ok := r.trackers[list[i].Hash]; ok {
			list[i].Tracker = tracker
		} else {
			missing = append(missing, i)
		}
	}
	for hash := range r.trackers {
		if !seen[hash] {
			delete(r.trackers, hash)
		}
	}
	r.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	calls := make([][]any, len(missing))
	for j, i := range missing {
		calls[j] = []any{"t.multicall", list[i].Hash, "", "t.url="}
	}
	answers, _, err := r.multicall(ctx, calls)
	if errors.Is(err, ErrNoSuchTorrent) {
		return nil // removed meanwhile; the next listing says so
	}
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for j, i := range missing {
		tracker := ""
		if rows, ok := answers[j].([]any); ok && len(rows) > 0 {
			if row, ok := rows[0].([]any); ok && len(row) > 0 {
				tracker, _ = row[0].(string)
			}
		}
		list[i].Tracker = tracker
		r.trackers[list[i].Hash] = tracker
	}
	return nil
}

func asInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// rtorrentTorrent reads one listing row, in rtorrentFields order.
func rtorrentTorrent(f []any) Torrent {
	size, done := asInt(f[2]), asInt(f[3])
	t := Torrent{
		Hash: strings.ToLower(asString(f[0])), Name: asString(f[1]), Size: size,
		Category: unescapeLabel(asString(f[9])), SavePath: asString(f[10]),
	}
	if size > 0 {
		t.Progress = float64(done) / float64(size)
	}
	if asInt(f[6]) == 1 {
		t.Progress = 1
	}
	state, active, hashing, message, meta := asInt(f[4]), asInt(f[5]), asInt(f[7]), asString(f[8]), asInt(f[11])
	switch {
	case message != "" && !strings.HasPrefix(message, "Tracker:"):
		t.State, t.RawState = StateErrored, message
	case hashing != 0:
		t.State, t.RawState = StateChecking, "hashing"
	case state == 0:
		t.State, t.RawState = StateStopped, "stopped"
	case active == 0:
		t.State, t.RawState = StateStopped, "paused"
	case meta == 1:
		t.State, t.RawState = StateMetadata, "meta"
	case asInt(f[6]) == 1:
		t.State, t.RawState = StateSeeding, "seeding"
	default:
		t.State, t.RawState = StateDownloading, "leeching"
	}
	if meta == 1 {
		// A magnet whose metadata has not arrived: rTorrent lists it as "<HASH>.meta" with the
		// size of that placeholder, which is not the torrent's. Running or stopped, nothing
		// about it is known, and a size would make it look known to the policies.
		t.Size, t.Progress = 0, 0
	}
	if added := asInt(f[12]); added > 0 {
		t.AddedAt = time.Unix(added, 0)
	}
	return t
}

// unescapeLabel undoes ruTorrent's URL-encoding of labels in d.custom1.
func unescapeLabel(s string) string {
	if out, err := url.QueryUnescape(s); err == nil {
		return out
	}
	return s
}

// Get reads one torrent.
func (r *RTorrent) Get(ctx context.Context, hash string) (*Torrent, error) {
	hash = strings.ToUpper(hash)
	calls := make([][]any, len(rtorrentFields))
	for i, f := range rtorrentFields {
		calls[i] = []any{strings.TrimSuffix(f, "="), hash}
	}
	values, _, err := r.multicall(ctx, calls)
	if err != nil {
		return nil, err
	}
	t := rtorrentTorrent(values)
	list := []Torrent{t}
	if err = r.fillTrackers(ctx, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// Stop stops and closes a torrent, so it neither transfers nor holds its files open.
func (r *RTorrent) Stop(ctx context.Context, hash string) error {
	_, _, err := r.multicall(ctx, [][]any{{"d.stop", strings.ToUpper(hash)}, {"d.close", strings.ToUpper(hash)}})
	return err
}

// Start opens and starts a torrent (and resumes one paused by d.pause).
func (r *RTorrent) Start(ctx context.Context, hash string) error {
	h := strings.ToUpper(hash)
	_, _, err := r.multicall(ctx, [][]any{{"d.open", h}, {"d.start", h}, {"d.resume", h}})
	return err
}

// Remove erases a torrent. rTorrent never deletes data itself, so with withData seedgate
// first reads the data's path and, after the erase, has rTorrent remove it on its own host
// (rm -rf of that one path, refused unless it lies inside the torrent's directory).
func (r *RTorrent) Remove(ctx context.Context, hash string, withData bool) error {
	h := strings.ToUpper(hash)
	var dataPath string
	if withData {
		v, _, err := r.multicall(ctx, [][]any{{"d.base_path", h}, {"d.directory", h}})
		if err != nil {
			return err
		}
		dataPath = path.Clean(asString(v[0]))
		dir := path.Clean(asString(v[1]))
		if dataPath == "." || dataPath == "/" || !path.IsAbs(dataPath) || !(dataPath == dir || strings.HasPrefix(dataPath, strings.TrimSuffix(dir, "/")+"/")) {
			return fmt.Errorf("rtorrent %s: refusing to delete data at %q: not inside the torrent's directory %q", r.name, dataPath, dir)
		}
	}
	if _, _, err := r.call(ctx, "d.erase", h); err != nil {
		return err
	}
	if withData {
		if _, _, err := r.call(ctx, "execute.throw", "", "rm", "-rf", "--", dataPath); err != nil {
			return fmt.Errorf("rtorrent %s: torrent erased but deleting its data failed: %w", r.name, err)
		}
	}
	return nil
}

// SetCategory sets d.custom1, the label ruTorrent and Flood show.
func (r *RTorrent) SetCategory(ctx context.Context, hash, category string) error {
	if _, err := r.Get(ctx, hash); err != nil {
		return err
	}
	_, _, err := r.call(ctx, "d.custom1.set", strings.ToUpper(hash), url.QueryEscape(category))
	return err
}

// SetTags is not possible: rTorrent has one label per torrent, which seedgate treats as the
// category.
func (r *RTorrent) SetTags(ctx context.Context, hash string, tags []string) error {
	return fmt.Errorf("rtorrent %s: %w: rTorrent has one label (custom1), set it as the category", r.name, ErrUnsupported)
}

// AddFile loads a .torrent from memory. rTorrent loads asynchronously, so this waits until
// the hash appears.
func (r *RTorrent) AddFile(ctx context.Context, name string, meta []byte, opts AddOptions) error {
	hash, err := metainfo.InfoHash(meta)
	if err != nil {
		return fmt.Errorf("rtorrent %s: add %s: %w", r.name, name, err)
	}
	if _, err = r.Get(ctx, hash); err == nil {
		return fmt.Errorf("rtorrent %s: add: refused (already present)", r.name)
	} else if !errors.Is(err, ErrNoSuchTorrent) {
		return err
	}
	method := "load.raw_start"
	if opts.Stopped && !opts.ClientDefault {
		method = "load.raw"
	}
	params := append([]any{"", meta}, r.loadCommands(opts)...)
	if _, _, err = r.call(ctx, method, params...); err != nil {
		return err
	}
	return r.awaitLoaded(ctx, hash)
}

// AddMagnet loads a magnet link.
func (r *RTorrent) AddMagnet(ctx context.Context, magnet string, opts AddOptions) error {
	method := "load.start"
	if opts.Stopped && !opts.ClientDefault {
		method = "load.normal"
	}
	params := append([]any{"", magnet}, r.loadCommands(opts)...)
	_, _, err := r.call(ctx, method, params...)
	return err
}

func (r *RTorrent) loadCommands(opts AddOptions) []any {
	var cmds []any
	if opts.SavePath != "" {
		cmds = append(cmds, "d.directory.set="+quoteCommandArg(opts.SavePath))
	}
	if opts.Category != "" {
		cmds = append(cmds, "d.custom1.set="+quoteCommandArg(url.QueryEscape(opts.Category)))
	}
	return cmds
}

// quoteCommandArg quotes a value for an rTorrent command string.
func quoteCommandArg(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (r *RTorrent) awaitLoaded(ctx context.Context, hash string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := r.Get(ctx, hash)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrNoSuchTorrent) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rtorrent %s: add: the torrent never appeared (rTorrent rejects torrents without a tracker; see its log)", r.name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
