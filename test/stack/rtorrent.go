package stack

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RTorrent is a running rtorrent bound to loopback (DHT, PeX and UDP trackers off), its
// XML-RPC on a unix socket.
type RTorrent struct {
	URL         string // scgi:///path/to/socket
	Socket      string
	DownloadDir string
	program     string
	dir         string
	rc          string
	proc        *Proc
}

// StartRTorrent writes an rc file into dir (extra lines appended, e.g. event hooks) and starts
// rtorrent as a daemon.
func StartRTorrent(ctx context.Context, program, dir string, extra ...string) (*RTorrent, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r := &RTorrent{
		Socket: filepath.Join(dir, "rpc.sock"), DownloadDir: filepath.Join(dir, "downloads"),
		program: program, dir: dir, rc: filepath.Join(dir, "rtorrent.rc"),
	}
	r.URL = "scgi://" + r.Socket
	session := filepath.Join(dir, "session")
	for _, d := range []string{r.DownloadDir, session} {
		if err = os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	lines := []string{
		"system.daemon.set = true",
		"network.scgi.open_local = " + r.Socket,
		"network.bind_address.set = 127.0.0.1",
		"network.local_address.set = 127.0.0.1",
		fmt.Sprintf("network.port_range.set = %d-%d", port, port),
		"network.port_random.set = no",
		"dht.mode.set = disable",
		"protocol.pex.set = no",
		"trackers.use_udp.set = no",
		"directory.default.set = " + r.DownloadDir,
		"session.path.set = " + session,
	}
	rc := strings.Join(append(lines, extra...), "\n") + "\n"
	if err = os.WriteFile(r.rc, []byte(rc), 0o600); err != nil {
		return nil, err
	}
	if err = r.Start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Start starts (or restarts) rtorrent on its rc file and session.
func (r *RTorrent) Start(ctx context.Context) error {
	_ = os.Remove(r.Socket)
	var err error
	r.proc, err = StartProc("rtorrent", filepath.Join(r.dir, "rtorrent.out"), nil, nil, r.program, "-n", "-o", "import="+r.rc)
	if err != nil {
		return err
	}
	for {
		if conn, err := net.Dial("unix", r.Socket); err == nil {
			conn.Close()
			return nil
		}
		if r.proc.Exited() {
			return fmt.Errorf("rtorrent exited before opening %s:\n%s", r.Socket, strings.Join(tail(r.proc.Lines(), 20), "\n"))
		}
		select {
		case <-ctx.Done():
			r.Stop()
			return fmt.Errorf("waiting for %s: %w", r.Socket, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop stops rtorrent.
func (r *RTorrent) Stop() {
	if r.proc != nil {
		r.proc.Stop()
	}
}
