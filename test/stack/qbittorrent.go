package stack

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// QBittorrent is a running qbittorrent-nox bound to loopback, with DHT, PeX, LSD and UPnP off.
type QBittorrent struct {
	URL         string
	Username    string
	Password    string
	DownloadDir string
	dir         string
	webPort     int
	program     string
	proc        *Proc
}

// StartQBittorrent starts qbittorrent-nox with a fresh profile in dir and a random Web UI
// password.
func StartQBittorrent(ctx context.Context, tools *Tools, dir string) (*QBittorrent, error) {
	webPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	q := &QBittorrent{
		URL: "http://127.0.0.1:" + strconv.Itoa(webPort), Username: "admin", Password: hex.EncodeToString(pw),
		DownloadDir: filepath.Join(dir, "downloads"), dir: dir, webPort: webPort, program: tools.QBittorrent,
	}
	confDir := filepath.Join(dir, "qBittorrent", "config")
	if err = os.MkdirAll(confDir, 0o700); err != nil {
		return nil, err
	}
	if err = os.MkdirAll(q.DownloadDir, 0o700); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	hash, err := pbkdf2.Key(sha512.New, q.Password, salt, 100000, 64)
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`[LegalNotice]
Accepted=true

[BitTorrent]
Session\DHTEnabled=false
Session\PeXEnabled=false
Session\LSDEnabled=false
Session\Interface=lo
Session\InterfaceName=lo
Session\InterfaceAddress=127.0.0.1
Session\Port=%d
Session\QueueingSystemEnabled=false
Session\MultiConnectionsPerIp=true
Session\DefaultSavePath=%s

[Network]
PortForwardingEnabled=false

[Preferences]
Downloads\SavePath=%s
Connection\ResolvePeerCountries=false
Connection\UPnP=false
WebUI\Address=127.0.0.1
WebUI\Port=%d
WebUI\UseUPnP=false
WebUI\CSRFProtection=false
WebUI\HostHeaderValidation=false
WebUI\LocalHostAuth=true
WebUI\Username=admin
WebUI\Password_PBKDF2="@ByteArray(%s:%s)"
`, peerPort, q.DownloadDir, q.DownloadDir, webPort,
		base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(hash))
	if err = os.WriteFile(filepath.Join(confDir, "qBittorrent.conf"), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if err = q.Start(ctx); err != nil {
		return nil, err
	}
	return q, nil
}

// Start starts (or restarts) qBittorrent on its profile.
func (q *QBittorrent) Start(ctx context.Context) error {
	var err error
	q.proc, err = StartProc("qbittorrent", filepath.Join(q.dir, "qbittorrent.out"), nil, nil, q.program,
		"--profile="+q.dir, "--webui-port="+strconv.Itoa(q.webPort))
	if err != nil {
		return err
	}
	if err = WaitHTTP(ctx, q.URL+"/api/v2/app/webapiVersion", q.proc); err != nil {
		q.Stop()
		return err
	}
	return nil
}

// Stop stops qBittorrent.
func (q *QBittorrent) Stop() {
	if q.proc != nil {
		q.proc.Stop()
	}
}

// Kill ends qBittorrent with SIGKILL, as a crash or the OOM killer would: it saves nothing on
// the way out.
func (q *QBittorrent) Kill() {
	if q.proc != nil {
		q.proc.Kill()
	}
}

// ResumeFile is where qBittorrent keeps a torrent's resume data (libtorrent's fastresume),
// which it reads at start to restore the torrent as it was.
func (q *QBittorrent) ResumeFile(hash string) string {
	return filepath.Join(q.dir, "qBittorrent", "data", "BT_backup", hash+".fastresume")
}
