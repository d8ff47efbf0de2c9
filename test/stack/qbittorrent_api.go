package stack

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
	"strconv"
	"strings"
	"time"
)

// The tests read qBittorrent's state with these plain Web API calls rather than with seedgate's
// own adapter, so a bug there cannot hide itself.

func (q *QBittorrent) httpClient(ctx context.Context) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	form := url.Values{"username": {q.Username}, "password": {q.Password}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, q.URL+"/api/v2/auth/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "Ok." {
		return nil, fmt.Errorf("qbittorrent login: %s", body)
	}
	return c, nil
}

// Add adds a .torrent file as a person or an RSS rule would, starting left to qBittorrent.
func (q *QBittorrent) Add(ctx context.Context, tf *TorrentFile) error {
	session, err := q.Session(ctx)
	if err != nil {
		return err
	}
	return session.Add(ctx, tf)
}

// SetPreferences changes qBittorrent's preferences (app/setPreferences).
func (q *QBittorrent) SetPreferences(ctx context.Context, prefs map[string]any) error {
	raw, _ := json.Marshal(prefs)
	return q.postForm(ctx, "app/setPreferences", url.Values{"json": {string(raw)}})
}

// postForm logs in and posts one form to /api/v2/<path>, expecting 200.
func (q *QBittorrent) postForm(ctx context.Context, path string, form url.Values) error {
	session, err := q.Session(ctx)
	if err != nil {
		return err
	}
	return session.Post(ctx, path, form)
}

// State returns a torrent's qBittorrent state ("pausedDL", "stalledDL", ...) and whether the
// torrent exists at all.
func (q *QBittorrent) State(ctx context.Context, hash string) (string, bool, error) {
	session, err := q.Session(ctx)
	if err != nil {
		return "", false, err
	}
	states, err := session.States(ctx, hash)
	if err != nil {
		return "", false, err
	}
	state, exists := states[hash]
	return state, exists, nil
}

// IsStopped reports whether a qBittorrent state is a paused/stopped one (4.x and 5.x names).
func IsStopped(state string) bool {
	return strings.HasPrefix(state, "paused") || strings.HasPrefix(state, "stopped")
}

// IsRunning reports whether a qBittorrent state is a torrent transferring or trying to: not
// stopped, and not the checking or queued states a torrent passes through on its way to either.
func IsRunning(state string) bool {
	for _, prefix := range []string{"downloading", "stalled", "metaDL", "forced", "uploading"} {
		if strings.HasPrefix(state, prefix) {
			return true
		}
	}
	return false
}

// AddPeers tells qBittorrent about a peer of one torrent (torrents/addPeers).
func (q *QBittorrent) AddPeers(ctx context.Context, hash, addr string) error {
	return q.postForm(ctx, "torrents/addPeers", url.Values{"hashes": {hash}, "peers": {addr}})
}

// CPUTime is qBittorrent's CPU time so far.
func (q *QBittorrent) CPUTime() (time.Duration, error) { return q.proc.CPUTime() }

// QBSession is a logged-in Web API session for raw calls.
type QBSession struct {
	q *QBittorrent
	c *http.Client
}

// Session logs in once for a series of raw calls.
func (q *QBittorrent) Session(ctx context.Context) (*QBSession, error) {
	c, err := q.httpClient(ctx)
	return &QBSession{q: q, c: c}, err
}

// Get performs GET /api/v2/<path> and returns the body.
func (s *QBSession) Get(ctx context.Context, path string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.q.URL+"/api/v2/"+path, nil)
	resp, err := s.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("qbittorrent %s: HTTP %d", path, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// Add adds one .torrent file in this session, starting left to qBittorrent. Timing starts
// cleanly here: the login, a PBKDF2 check of tens of milliseconds in qBittorrent, is behind it.
func (s *QBSession) Add(ctx context.Context, tf *TorrentFile) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, _ := w.CreateFormFile("torrents", tf.Name+".torrent")
	_, _ = part.Write(tf.Metainfo)
	_ = w.WriteField("savepath", s.q.DownloadDir)
	_ = w.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.q.URL+"/api/v2/torrents/add", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := s.c.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "Ok." {
		return fmt.Errorf("qbittorrent add %s: HTTP %d %s", tf.Name, resp.StatusCode, body)
	}
	return nil
}

// AddBatch adds many .torrent files in one request, stopped or started.
func (s *QBSession) AddBatch(ctx context.Context, files []*TorrentFile, stopped bool) error {
	return s.addBatch(ctx, files, strconv.FormatBool(stopped))
}

// AddBatchAsConfigured adds many .torrent files in one request, asking nothing about starting
// them, as an RSS rule or a watched folder does: qBittorrent's own setting decides (in door
// mode, the one seedgate set: added stopped).
func (s *QBSession) AddBatchAsConfigured(ctx context.Context, files []*TorrentFile) error {
	return s.addBatch(ctx, files, "")
}

// addBatch posts the files with the given "paused" field ("" leaves it out).
func (s *QBSession) addBatch(ctx context.Context, files []*TorrentFile, paused string) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, tf := range files {
		part, err := w.CreateFormFile("torrents", tf.Hash+".torrent")
		if err != nil {
			return err
		}
		_, _ = part.Write(tf.Metainfo)
	}
	if paused != "" {
		_ = w.WriteField("paused", paused)
	}
	_ = w.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.q.URL+"/api/v2/torrents/add", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := s.c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("qbittorrent add batch: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Post posts one form to /api/v2/<path> in this session, expecting 200.
func (s *QBSession) Post(ctx context.Context, path string, form url.Values) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.q.URL+"/api/v2/"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("qbittorrent %s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// States lists the state of every torrent (hashes: "" for all, or joined by |) in one call.
func (s *QBSession) States(ctx context.Context, hashes string) (map[string]string, error) {
	path := "torrents/info"
	if hashes != "" {
		path += "?hashes=" + hashes
	}
	raw, err := s.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	var list []struct {
		Hash  string `json:"hash"`
		State string `json:"state"`
	}
	if err = json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	states := make(map[string]string, len(list))
	for _, t := range list {
		states[t.Hash] = t.State
	}
	return states, nil
}
