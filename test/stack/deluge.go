package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
)

// Deluge is a running deluged bound to loopback (DHT, LSD, UPnP, NAT-PMP and PeX off) and a
// deluge-web in front of it, which knows the daemon (as a user's Connection Manager would).
type Deluge struct {
	URL         string // the Web UI
	Password    string // the Web UI password
	DownloadDir string
	ConfDir     string
	DaemonPort  int
	daemonProg  string
	dir         string
	daemon      *Proc
	web         *Proc
}

// DelugeOptions configures the daemon: plugins to enable (e.g. "Label", "Execute") and the
// Execute plugin's commands, event ("added", "complete", "removed") to program.
type DelugeOptions struct {
	Plugins []string
	Execute map[string]string
}

// StartDeluge starts deluged and deluge-web with fresh configuration in dir.
func StartDeluge(ctx context.Context, daemonProg, webProg, dir string, opts DelugeOptions) (*Deluge, error) {
	plugins := opts.Plugins
	ports := make([]int, 3)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	d := &Deluge{
		URL: "http://127.0.0.1:" + strconv.Itoa(ports[1]), Password: hex.EncodeToString(secret),
		DownloadDir: filepath.Join(dir, "downloads"), ConfDir: filepath.Join(dir, "daemon"),
		DaemonPort: ports[0], daemonProg: daemonProg, dir: dir,
	}
	webConf := filepath.Join(dir, "web")
	for _, p := range []string{d.DownloadDir, d.ConfDir, webConf} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, err
		}
	}
	daemonUser, daemonPassword := "seedgate", hex.EncodeToString(secret[:6])
	if err := os.WriteFile(filepath.Join(d.ConfDir, "auth"), []byte(daemonUser+":"+daemonPassword+":10\n"), 0o600); err != nil {
		return nil, err
	}
	core := map[string]any{
		"dht": false, "lsd": false, "upnp": false, "natpmp": false, "utpex": false, "random_port": false,
		"listen_ports": []int{ports[2], ports[2]}, "listen_interface": "127.0.0.1", "outgoing_interface": "lo",
		"download_location": d.DownloadDir, "new_release_check": false, "allow_remote": false,
		"enabled_plugins": plugins, "queue_new_to_top": false, "max_active_downloading": -1,
		"max_active_seeding": -1, "max_active_limit": -1, "dont_count_slow_torrents": true,
	}
	if err := writeDelugeConfig(filepath.Join(d.ConfDir, "core.conf"), 1, core); err != nil {
		return nil, err
	}
	if len(opts.Execute) > 0 {
		var commands [][]string
		for event, program := range opts.Execute {
			commands = append(commands, []string{"seedgate-" + event, event, program})
		}
		if err := writeDelugeConfig(filepath.Join(d.ConfDir, "execute.conf"), 1, map[string]any{"commands": commands}); err != nil {
			return nil, err
		}
	}
	salt := hex.EncodeToString(secret[6:])
	sum := sha1.Sum([]byte(salt + d.Password))
	web := map[string]any{"pwd_salt": salt, "pwd_sha1": hex.EncodeToString(sum[:]), "first_login": false, "default_daemon": ""}
	if err := writeDelugeConfig(filepath.Join(webConf, "web.conf"), 2, web); err != nil {
		return nil, err
	}
	if err := d.StartDaemon(ctx); err != nil {
		return nil, err
	}
	var err error
	d.web, err = StartProc("deluge-web", filepath.Join(dir, "deluge-web.out"), nil, nil, webProg,
		"-c", webConf, "-d", "-i", "127.0.0.1", "-p", strconv.Itoa(ports[1]), "-L", "warning")
	if err != nil {
		d.Stop()
		return nil, err
	}
	if err = WaitHTTP(ctx, d.URL+"/", d.web); err != nil {
		d.Stop()
		return nil, err
	}
	if err = d.addHost(ctx, daemonUser, daemonPassword); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// writeDelugeConfig writes Deluge's two-object config format: a version header, then the keys.
func writeDelugeConfig(path string, fileVersion int, keys map[string]any) error {
	header, _ := json.Marshal(map[string]int{"file": fileVersion, "format": 1})
	body, _ := json.MarshalIndent(keys, "", "  ")
	return os.WriteFile(path, append(header, body...), 0o600)
}

// StartDaemon starts (or restarts) deluged.
func (d *Deluge) StartDaemon(ctx context.Context) error {
	var err error
	d.daemon, err = StartProc("deluged", filepath.Join(d.dir, "deluged.out"), nil, nil, d.daemonProg,
		"-c", d.ConfDir, "-d", "-u", "127.0.0.1", "-p", strconv.Itoa(d.DaemonPort), "-i", "127.0.0.1", "-L", "warning")
	if err != nil {
		return err
	}
	return WaitTCP(ctx, "127.0.0.1:"+strconv.Itoa(d.DaemonPort), d.daemon)
}

// StopDaemon stops deluged only.
func (d *Deluge) StopDaemon() {
	if d.daemon != nil {
		d.daemon.Stop()
	}
}

// addHost tells the Web UI about the daemon, through its own API.
func (d *Deluge) addHost(ctx context.Context, user, password string) error {
	call := d.webCaller(ctx)
	if err := call("auth.login", d.Password); err != nil {
		return err
	}
	return call("web.add_host", "127.0.0.1", d.DaemonPort, user, password)
}

// ConnectPeer tells the daemon about a peer of one torrent (core.connect_peer).
func (d *Deluge) ConnectPeer(ctx context.Context, hash, host string, port int) error {
	call := d.webCaller(ctx)
	if err := call("auth.login", d.Password); err != nil {
		return err
	}
	return call("core.connect_peer", hash, host, port)
}

// webCaller returns a function that makes Web UI calls in one session.
func (d *Deluge) webCaller(ctx context.Context) func(method string, params ...any) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	return func(method string, params ...any) error {
		body, _ := json.Marshal(map[string]any{"method": method, "params": params, "id": 1})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL+"/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var answer struct {
			Error any `json:"error"`
		}
		if err = json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.Error != nil {
			return fmt.Errorf("deluge-web %s: %v %v", method, answer.Error, err)
		}
		return nil
	}
}

// Stop stops both processes.
func (d *Deluge) Stop() {
	if d.web != nil {
		d.web.Stop()
	}
	d.StopDaemon()
}
