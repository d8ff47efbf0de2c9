package stack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Seeder is a python3-libtorrent seeder on 127.0.0.1: the reliable way to complete a real
// download in a test (see ../shared/reference/torrent-clients.md).
type Seeder struct {
	Port  int
	proc  *Proc
	stdin io.WriteCloser
}

// debianPython is Debian's interpreter, which has python3-libtorrent (pyenv's does not).
const debianPython = "/usr/bin/python3"

// RequireSeeder fails (in CI) or skips the test when python3-libtorrent is missing.
func RequireSeeder(t testing.TB) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import libtorrent").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-libtorrent is not installed for %s (run `make deps`): %v", debianPython, err)
		}
		t.Skipf("python3-libtorrent is not installed (outside CI, so skipping; `make deps` installs it): %v", err)
	}
}

// StartSeeder seeds tf, whose data is in dataDir, from a fresh process.
func StartSeeder(ctx context.Context, tf *TorrentFile, dataDir, logDir string) (*Seeder, error) {
	torrentPath := filepath.Join(logDir, tf.Hash+".torrent")
	if err := os.WriteFile(torrentPath, tf.Metainfo, 0o600); err != nil {
		return nil, err
	}
	reader, writer := io.Pipe()
	proc, err := StartProc("seeder", filepath.Join(logDir, "seeder-"+tf.Hash[:8]+".out"), reader, nil, debianPython,
		filepath.Join(RepoRoot(), "test", "stack", "seeder.py"), torrentPath, dataDir)
	if err != nil {
		return nil, err
	}
	s := &Seeder{proc: proc, stdin: writer}
	_, line, err := proc.WaitLine(ctx, 0, func(l string) bool { return strings.HasPrefix(l, "PORT ") })
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("the seeder did not start: %w", err)
	}
	if s.Port, err = strconv.Atoi(strings.TrimPrefix(line, "PORT ")); err != nil || s.Port == 0 {
		s.Stop()
		return nil, fmt.Errorf("the seeder said %q", line)
	}
	return s, nil
}

// Addr is the seeder's peer address.
func (s *Seeder) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Stop ends the seeder.
func (s *Seeder) Stop() {
	_ = s.stdin.Close()
	s.proc.Stop()
}
