package torrent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seedgate/seedgate/torrent/kind"
)

// QBittorrent speaks qBittorrent's Web API v2. It picks the dialect from app/webapiVersion:
// before 2.11 (qBittorrent 4.x) it uses pause/resume and "paused"; from 2.11 (5.x) stop/start
// and "stopped". It follows the sync/maindata rid so idle polls cost a few bytes.
type QBittorrent struct {
	name     string
	base     *url.URL
	username string
	password string
	apiKey   string // qBittorrent 5.2+: "qbt_...", sent as a bearer token instead of logging in
	http     *http.Client

	mu       sync.Mutex
	rid      int64
	torrents map[string]qbRecord
	webAPI   apiVersion
	version  string
}

var _ Client = (*QBittorrent)(nil)

func init() {
	register(kind.Kind{Name: "qbittorrent", Label: "qBittorrent", URL: kind.HTTP, APIKeyPrefix: "qbt_"}, func(s Settings) (Client, error) {
		q, err := NewQBittorrent(s.Name, s.URL, s.Username, s.Password)
		if err == nil && s.APIKey != "" {
			q.apiKey = s.APIKey
		}
		return q, err
	})
}

// NewQBittorrent returns an adapter for the Web UI at baseURL.
func NewQBittorrent(name, baseURL, username, password string) (*QBittorrent, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("qbittorrent %s: bad url: %w", name, err)
	}
	jar, _ := cookiejar.New(nil)
	return &QBittorrent{
		name: name, base: u, username: username, password: password,
		http:     &http.Client{Jar: jar, Timeout: 30 * time.Second},
		torrents: map[string]qbRecord{},
	}, nil
}

// Name returns the configured name.
func (q *QBittorrent) Name() string { return q.name }

// Version returns what Connect learned about the server.
func (q *QBittorrent) Version() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.version
}

type apiVersion struct{ major, minor, patch int }

func parseAPIVersion(s string) (apiVersion, error) {
	var v apiVersion
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 {
		return v, fmt.Errorf("unexpected WebAPI version %q", s)
	}
	nums := []*int{&v.major, &v.minor, &v.patch}
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return v, fmt.Errorf("unexpected WebAPI version %q", s)
		}
		*nums[i] = n
	}
	return v, nil
}

func (v apiVersion) atLeast(major, minor int) bool {
	return v.major > major || (v.major == major && v.minor >= minor)
}

// Connect logs in (unless it has an API key) and reads the WebAPI version.
func (q *QBittorrent) Connect(ctx context.Context) error {
	if q.apiKey == "" {
		if err := q.login(ctx); err != nil {
			return err
		}
	}
	raw, err := q.call(ctx, http.MethodGet, "app/webapiVersion", nil)
	if err != nil {
		return err
	}
	v, err := parseAPIVersion(string(raw))
	if err != nil {
		return fmt.Errorf("qbittorrent %s: %w", q.name, err)
	}
	app, err := q.call(ctx, http.MethodGet, "app/version", nil)
	if err != nil {
		return err
	}
	q.mu.Lock()
	q.webAPI = v
	q.version = fmt.Sprintf("qBittorrent %s (WebAPI %s)", strings.TrimSpace(string(app)), strings.TrimSpace(string(raw)))
	q.mu.Unlock()
	return nil
}

func (q *QBittorrent) login(ctx context.Context) error {
	form := url.Values{"username": {q.username}, "password": {q.password}}
	req, err := q.newRequest(ctx, http.MethodPost, "auth/login", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := q.http.Do(req)
	if err != nil {
		return fmt.Errorf("qbittorrent %s: login: %w", q.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("qbittorrent %s: login: %w", q.name, ErrBanned)
	case resp.StatusCode == http.StatusUnauthorized: // 5.2+
		return fmt.Errorf("qbittorrent %s: login: %w", q.name, ErrAuth)
	case resp.StatusCode == http.StatusNoContent: // 5.2+
		return nil
	case resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok.":
		return nil
	case resp.StatusCode == http.StatusOK:
		return fmt.Errorf("qbittorrent %s: login: %w", q.name, ErrAuth)
	default:
		return fmt.Errorf("qbittorrent %s: login: unexpected HTTP %d", q.name, resp.StatusCode)
	}
}

func (q *QBittorrent) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, q.base.String()+"/api/v2/"+path, body)
	if err != nil {
		return nil, fmt.Errorf("qbittorrent %s: %s: %w", q.name, path, err)
	}
	// qBittorrent's CSRF protection compares these with its own address.
	req.Header.Set("Referer", q.base.String())
	req.Header.Set("Origin", q.base.String())
	if q.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+q.apiKey)
	}
	return req, nil
}

// call performs one API call, logging in again once if the session has expired.
func (q *QBittorrent) call(ctx context.Context, method, path string, form url.Values) ([]byte, error) {
	return q.callAccepting(ctx, method, path, form, http.StatusOK)
}

// callAccepting is call for an endpoint where another status than 200 is also an answer.
func (q *QBittorrent) callAccepting(ctx context.Context, method, path string, form url.Values, accept ...int) ([]byte, error) {
	var raw []byte
	err := q.send(ctx, method, path, form, accept, func(body io.Reader) (err error) {
		raw, err = io.ReadAll(body)
		return err
	})
	return raw, err
}

// send performs one API call and hands an accepted answer's body to read, logging in again
// once if the session has expired. The body read is bounded by maxResponse.
func (q *QBittorrent) send(ctx context.Context, method, path string, form url.Values, accept []int, read func(io.Reader) error) error {
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := q.newRequest(ctx, method, path, body)
		if err != nil {
			return err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := q.http.Do(req)
		if err != nil {
			return fmt.Errorf("qbittorrent %s: %s: %w", q.name, path, err)
		}
		status := resp.StatusCode
		if !slices.Contains(accept, status) {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
			_ = resp.Body.Close()
		}
		switch {
		case (status == http.StatusForbidden || status == http.StatusUnauthorized) && q.apiKey != "":
			return fmt.Errorf("qbittorrent %s: %s: %w (the API key was refused)", q.name, path, ErrAuth)
		case (status == http.StatusForbidden || status == http.StatusUnauthorized) && attempt == 0:
			if err = q.login(ctx); err != nil {
				return err
			}
			continue
		case status == http.StatusNotFound:
			return fmt.Errorf("qbittorrent %s: %s: %w", q.name, path, ErrNoSuchTorrent)
		case !slices.Contains(accept, status):
			return fmt.Errorf("qbittorrent %s: %s: unexpected HTTP %d", q.name, path, status)
		}
		err = read(io.LimitReader(resp.Body, maxResponse))
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("qbittorrent %s: %s: %w", q.name, path, err)
		}
		return nil
	}
}

// maxResponse bounds what one answer may be; a full sync of 30,000 torrents is about 40 MB.
const maxResponse = 256 << 20

// do performs a request built by the caller and reads its whole answer.
func (q *QBittorrent) do(req *http.Request) ([]byte, int, error) {
	resp, err := q.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return raw, resp.StatusCode, err
}

// qbTorrent holds the fields of sync/maindata's torrent records that seedgate reads. Partial
// updates decode into the existing record, so absent fields keep their values.
type qbTorrent struct {
	Name      string  `json:"name"`
	Size      int64   `json:"size"`
	TotalSize int64   `json:"total_size"`
	Progress  float64 `json:"progress"`
	State     string  `json:"state"`
	Category  string  `json:"category"`
	Tags      string  `json:"tags"`
	SavePath  string  `json:"save_path"`
	Tracker   string  `json:"tracker"`
	AddedOn   int64   `json:"added_on"`
}

// Poll asks sync/maindata for what changed since the last rid. The answer is decoded as it
// arrives, each torrent straight into its record: a first sync of 100,000 torrents is about
// 150 MB of JSON, which held whole (and again as raw fields) cost seedgate half a gigabyte.
// Nothing is applied until the whole answer has decoded, so a malformed one changes nothing.
func (q *QBittorrent) Poll(ctx context.Context) (*Changes, error) {
	q.mu.Lock()
	rid := q.rid
	q.mu.Unlock()
	var md *mainData
	err := q.send(ctx, http.MethodGet, "sync/maindata?rid="+strconv.FormatInt(rid, 10), nil, []int{http.StatusOK}, func(body io.Reader) (err error) {
		q.mu.Lock()
		known := q.torrents
		q.mu.Unlock()
		md, err = decodeMainData(body, known)
		return err
	})
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	changes := &Changes{Full: md.full, Bytes: md.bytes, Torrents: make([]Torrent, 0, len(md.updated))}
	if md.full {
		q.torrents = make(map[string]qbRecord, len(md.updated))
	}
	for _, u := range md.updated {
		q.torrents[u.hash] = u.record
		changes.Torrents = append(changes.Torrents, u.record.torrent(u.hash))
	}
	for _, hash := range md.removed {
		delete(q.torrents, hash)
		changes.Removed = append(changes.Removed, hash)
	}
	q.rid = md.rid
	return changes, nil
}

// Get returns one torrent from torrents/info.
func (q *QBittorrent) Get(ctx context.Context, hash string) (*Torrent, error) {
	found, err := q.GetMany(ctx, []string{hash})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("qbittorrent %s: %s: %w", q.name, hash, ErrNoSuchTorrent)
	}
	return &found[0], nil
}

// GetMany returns those of hashes qBittorrent has, in one torrents/info call.
func (q *QBittorrent) GetMany(ctx context.Context, hashes []string) ([]Torrent, error) {
	raw, err := q.call(ctx, http.MethodGet, "torrents/info?hashes="+url.QueryEscape(strings.Join(hashes, "|")), nil)
	if err != nil {
		return nil, err
	}
	var list []struct {
		Hash string `json:"hash"`
		qbTorrent
	}
	if err = json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("qbittorrent %s: torrents/info: malformed answer: %w", q.name, err)
	}
	out := make([]Torrent, 0, len(list))
	for _, t := range list {
		out = append(out, t.qbTorrent.normalize(strings.ToLower(t.Hash)))
	}
	return out, nil
}

func (t *qbTorrent) normalize(hash string) Torrent {
	size := t.Size
	if size <= 0 {
		size = t.TotalSize
	}
	out := Torrent{
		Hash: hash, Name: t.Name, Size: size, Progress: t.Progress, RawState: t.State,
		State: qbState(t.State), Category: t.Category, Tags: t.Tags, SavePath: t.SavePath, Tracker: t.Tracker,
	}
	if t.AddedOn > 0 {
		out.AddedAt = time.Unix(t.AddedOn, 0)
	}
	return out
}

func qbState(s string) State {
	switch s {
	case "error", "missingFiles":
		return StateErrored
	case "uploading", "stalledUP", "forcedUP", "queuedUP":
		return StateSeeding
	case "pausedUP", "stoppedUP", "pausedDL", "stoppedDL":
		return StateStopped
	case "downloading", "stalledDL", "forcedDL", "queuedDL", "allocating":
		return StateDownloading
	case "metaDL", "forcedMetaDL":
		return StateMetadata
	case "checkingUP", "checkingDL", "checkingResumeData", "moving":
		return StateChecking
	default:
		return StateUnknown
	}
}

func (q *QBittorrent) dialect() (stop, start, stoppedParam string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.webAPI.atLeast(2, 11) {
		return "torrents/stop", "torrents/start", "stopped"
	}
	return "torrents/pause", "torrents/resume", "paused"
}

// action performs one torrent action. qBittorrent answers 200 for a hash it does not have,
// which would report an action that never happened, so the torrent is looked up first.
func (q *QBittorrent) action(ctx context.Context, path, hash string, form url.Values) error {
	if _, err := q.Get(ctx, hash); err != nil {
		return err
	}
	return q.post(ctx, path, hash, form)
}

// actionThenConfirm performs a start or stop and then looks the torrent up: the same answer
// as action (ErrNoSuchTorrent for a hash qBittorrent does not have, for which the call did
// nothing), without a look-up's round trip before the torrent starts or stops. Not for a
// removal, after which the torrent is gone either way.
func (q *QBittorrent) actionThenConfirm(ctx context.Context, path, hash string) error {
	if err := q.post(ctx, path, hash, nil); err != nil {
		return err
	}
	_, err := q.Get(ctx, hash)
	return err
}

func (q *QBittorrent) post(ctx context.Context, path, hash string, form url.Values) error {
	if form == nil {
		form = url.Values{}
	}
	form.Set("hashes", hash)
	_, err := q.call(ctx, http.MethodPost, path, form)
	return err
}

// Stop pauses (4.x) or stops (5.x) a torrent.
func (q *QBittorrent) Stop(ctx context.Context, hash string) error {
	stop, _, _ := q.dialect()
	return q.actionThenConfirm(ctx, stop, hash)
}

// stopBatch bounds how many hashes one stop call names (about 20 KB of form).
const stopBatch = 500

// StopMany pauses (4.x) or stops (5.x) many torrents, a few hundred per call.
func (q *QBittorrent) StopMany(ctx context.Context, hashes []string) error {
	stop, _, _ := q.dialect()
	for chunk := range slices.Chunk(hashes, stopBatch) {
		// Unlike Stop, no look-up first: the hashes were just listed by the client, and one
		// gone meanwhile is skipped by it.
		if _, err := q.call(ctx, http.MethodPost, stop, url.Values{"hashes": {strings.Join(chunk, "|")}}); err != nil {
			return err
		}
	}
	return nil
}

// Start resumes (4.x) or starts (5.x) a torrent.
func (q *QBittorrent) Start(ctx context.Context, hash string) error {
	_, start, _ := q.dialect()
	return q.actionThenConfirm(ctx, start, hash)
}

// Remove deletes a torrent, and its data when withData is set.
func (q *QBittorrent) Remove(ctx context.Context, hash string, withData bool) error {
	return q.action(ctx, "torrents/delete", hash, url.Values{"deleteFiles": {strconv.FormatBool(withData)}})
}

// AddMagnet adds a magnet link.
func (q *QBittorrent) AddMagnet(ctx context.Context, magnet string, opts AddOptions) error {
	return q.add(ctx, func(w *multipart.Writer) error { return w.WriteField("urls", magnet) }, opts)
}

// AddFile adds a .torrent file.
func (q *QBittorrent) AddFile(ctx context.Context, name string, metainfo []byte, opts AddOptions) error {
	return q.add(ctx, func(w *multipart.Writer) error {
		part, err := w.CreateFormFile("torrents", name)
		if err != nil {
			return err
		}
		_, err = part.Write(metainfo)
		return err
	}, opts)
}

func (q *QBittorrent) add(ctx context.Context, writeSource func(*multipart.Writer) error, opts AddOptions) error {
	_, _, stoppedParam := q.dialect()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := writeSource(w); err != nil {
		return fmt.Errorf("qbittorrent %s: add: %w", q.name, err)
	}
	fields := map[string]string{"category": opts.Category, "savepath": opts.SavePath}
	if !opts.ClientDefault {
		fields[stoppedParam] = strconv.FormatBool(opts.Stopped)
	}
	for k, v := range fields {
		if v != "" {
			_ = w.WriteField(k, v)
		}
	}
	_ = w.Close()
	req, err := q.newRequest(ctx, http.MethodPost, "torrents/add", &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	raw, status, err := q.do(req)
	if err != nil {
		return fmt.Errorf("qbittorrent %s: add: %w", q.name, err)
	}
	switch {
	case status == http.StatusUnsupportedMediaType:
		return fmt.Errorf("qbittorrent %s: add: the client says the torrent is not valid", q.name)
	case status != http.StatusOK:
		return fmt.Errorf("qbittorrent %s: add: unexpected HTTP %d", q.name, status)
	case strings.TrimSpace(string(raw)) == "Fails.":
		return fmt.Errorf("qbittorrent %s: add: refused (already present?)", q.name)
	}
	return nil
}

// SetCategory sets a torrent's category, creating it first: qBittorrent refuses a category it
// does not know (409), and answers 409 too when asked to create one it has.
func (q *QBittorrent) SetCategory(ctx context.Context, hash, category string) error {
	if _, err := q.Get(ctx, hash); err != nil {
		return err
	}
	if category != "" {
		if _, err := q.callAccepting(ctx, http.MethodPost, "torrents/createCategory", url.Values{"category": {category}},
			http.StatusOK, http.StatusConflict); err != nil {
			return err
		}
	}
	_, err := q.call(ctx, http.MethodPost, "torrents/setCategory", url.Values{"hashes": {hash}, "category": {category}})
	return err
}

// SetTags replaces a torrent's tags: 4.x has no setTags, so it removes them all and adds the
// new ones.
func (q *QBittorrent) SetTags(ctx context.Context, hash string, tags []string) error {
	if err := q.action(ctx, "torrents/removeTags", hash, nil); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	_, err := q.call(ctx, http.MethodPost, "torrents/addTags", url.Values{"hashes": {hash}, "tags": {strings.Join(tags, ",")}})
	return err
}
