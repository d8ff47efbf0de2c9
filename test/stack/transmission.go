package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
)

// Transmission is a running transmission-daemon bound to loopback with DHT, PeX, LPD and port
// forwarding off, RPC protected by a random password.
type Transmission struct {
	URL         string
	Username    string
	Password    string
	DownloadDir string
	ConfDir     string
	program     string
	dir         string
	proc        *Proc
}

// StartTransmission writes a settings.json into dir and starts transmission-daemon. extra
// settings (e.g. a done script) are merged in.
func StartTransmission(ctx context.Context, program, dir string, extra map[string]any) (*Transmission, error) {
	rpcPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	tr := &Transmission{
		URL: "http://127.0.0.1:" + strconv.Itoa(rpcPort), Username: "seedgate", Password: hex.EncodeToString(pw),
		DownloadDir: filepath.Join(dir, "downloads"), ConfDir: filepath.Join(dir, "config"), program: program, dir: dir,
	}
	for _, d := range []string{tr.DownloadDir, tr.ConfDir} {
		if err = os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	settings := map[string]any{
		"rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": rpcPort,
		"rpc-authentication-required": true, "rpc-username": tr.Username, "rpc-password": tr.Password,
		"rpc-whitelist-enabled": true, "rpc-whitelist": "127.0.0.1,::1", "rpc-host-whitelist-enabled": false,
		"bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "peer-port": peerPort,
		"dht-enabled": false, "pex-enabled": false, "lpd-enabled": false, "utp-enabled": false,
		"port-forwarding-enabled": false, "download-dir": tr.DownloadDir, "incomplete-dir-enabled": false,
		"start-added-torrents": false, "download-queue-enabled": false, "seed-queue-enabled": false,
		"message-level": 2,
	}
	for k, v := range extra {
		settings[k] = v
	}
	raw, _ := json.MarshalIndent(settings, "", "  ")
	if err = os.WriteFile(filepath.Join(tr.ConfDir, "settings.json"), raw, 0o600); err != nil {
		return nil, err
	}
	if err = tr.Start(ctx); err != nil {
		return nil, err
	}
	return tr, nil
}

// Start starts (or restarts) the daemon on its configuration.
func (tr *Transmission) Start(ctx context.Context) error {
	var err error
	tr.proc, err = StartProc("transmission", filepath.Join(tr.dir, "transmission.out"), nil, nil, tr.program,
		"-f", "-g", tr.ConfDir, "--log-error")
	if err != nil {
		return err
	}
	// Any HTTP answer (401 or 409) means the RPC server is up.
	if err = WaitHTTP(ctx, tr.URL+"/transmission/rpc", tr.proc); err != nil {
		tr.Stop()
		return err
	}
	return nil
}

// Stop stops the daemon.
func (tr *Transmission) Stop() {
	if tr.proc != nil {
		tr.proc.Stop()
	}
}
