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
	"sync"
	"testing"
)

// Seeder is a python3-libtorrent seeder on 127.0.0.1: the reliable way to complete a real
// download in a test (see ../shared/reference/torrent-clients.md).
type Seeder struct {
	Port  int
	proc  *Proc
	stdin io.WriteCloser
	mu    sync.Mutex // one stats exchange at a time
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
	return StartSeederOf(ctx, []*TorrentFile{tf}, dataDir, logDir)
}

// StartSeederOf seeds every torrent in tfs, whose data is in dataDir, from one process.
func StartSeederOf(ctx context.Context, tfs []*TorrentFile, dataDir, logDir string) (*Seeder, error) {
	args := []string{filepath.Join(RepoRoot(), "test", "stack", "seeder.py"), dataDir}
	for _, tf := range tfs {
		torrentPath := filepath.Join(logDir, tf.Hash+".torrent")
		if err := os.WriteFile(torrentPath, tf.Metainfo, 0o600); err != nil {
			return nil, err
		}
		args = append(args, torrentPath)
	}
	reader, writer := io.Pipe()
	proc, err := StartProc("seeder", filepath.Join(logDir, "seeder-"+tfs[0].Hash[:8]+".out"), reader, nil, debianPython, args...)
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

// Uploaded reports, per info-hash, how many payload bytes the seeder has sent to anyone.
func (s *Seeder) Uploaded(ctx context.Context) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := len(s.proc.Lines())
	if _, err := io.WriteString(s.stdin, "stats\n"); err != nil {
		return nil, err
	}
	end, _, err := s.proc.WaitLine(ctx, from, func(l string) bool { return l == "END" })
	if err != nil {
		return nil, fmt.Errorf("the seeder gave no stats: %w", err)
	}
	out := map[string]int64{}
	for _, line := range s.proc.Lines()[from:end] {
		var hash string
		var bytes, peers int64
		if _, err := fmt.Sscanf(line, "STATS %s %d %d", &hash, &bytes, &peers); err == nil {
			out[hash] = bytes
		}
	}
	return out, nil
}

// Connect makes the seeder dial a peer on 127.0.0.1 for one torrent: Transmission never dials
// the 127.x peers a tracker hands it, so the seeder dials the port the client announced.
func (s *Seeder) Connect(ctx context.Context, hash string, port int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := len(s.proc.Lines())
	if _, err := fmt.Fprintf(s.stdin, "connect %s %d\n", hash, port); err != nil {
		return err
	}
	_, _, err := s.proc.WaitLine(ctx, from, func(l string) bool { return l == "END" })
	return err
}

// Addr is the seeder's peer address.
func (s *Seeder) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Stop ends the seeder.
func (s *Seeder) Stop() {
	_ = s.stdin.Close()
	s.proc.Stop()
}
