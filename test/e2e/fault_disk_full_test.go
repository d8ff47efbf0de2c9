package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/seedgate/seedgate/test/stack"
)

// TestDatabaseDiskFull fills the filesystem seedgate's SQLite database lives on. Torrents that
// arrive meanwhile must still be held; what cannot be written must fail with an error that
// says why, with nothing half-done or lost; and once there is room again everything that
// waited goes through (the torrents' cards, a vote cast meanwhile), over a database that is
// not corrupt.
func TestDatabaseDiskFull(t *testing.T) {
	dbDir := smallFilesystem(t, "8m")
	ctx, s := upStack(t, 5*time.Minute, stack.Options{Approvers: []string{"alice"}, DatabaseDir: dbDir})
	alice := s.Clients["alice"]
	before, beforeCard := addHeld(ctx, t, s, alice, "before-the-disk-filled.bin")

	filler := fillFilesystem(t, dbDir)
	// SQLite reuses room it already has in its write-ahead log, so the first writes after the
	// disk fills may still succeed: torrents keep arriving until one is refused.
	mark := len(s.Seedgate.Proc().Lines())
	var during []*stack.TorrentFile
	for i := 0; ; i++ {
		tf, err := stack.MakeTorrent("", fmt.Sprintf("while-the-disk-is-full-%02d.bin", i), 16<<10)
		if err != nil {
			t.Fatal(err)
		}
		if err = s.QB.Add(ctx, tf); err != nil {
			t.Fatal(err)
		}
		during = append(during, tf)
		waitTorrentState(ctx, t, s.QB, tf.Hash, "held on a full disk", func(state string, exists bool) bool { return exists && stack.IsStopped(state) })
		if refused := logLineSince(s.Seedgate.Proc(), mark, `"Handling torrent event failed; will retry"`); refused != "" {
			if !strings.Contains(refused, "database or disk is full") || !strings.Contains(refused, tf.Hash) {
				t.Fatalf("the refusal does not say the disk is full, or for which torrent:\n%s", refused)
			}
			break
		}
		if i == 40 {
			t.Fatal("40 torrents arrived on a full disk and seedgate never reported a failed write")
		}
	}

	// A vote cast now cannot be taken: the bot cannot move its /sync position either (or, in
	// appservice mode, keep the transaction, which the homeserver then sends again), so it
	// handles the vote once there is room, and decides nothing meanwhile.
	mark = len(s.Seedgate.Proc().Lines())
	if _, err := alice.React(ctx, beforeCard.RoomID, beforeCard.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	stopped := `"Sync stopped; restarting"`
	if s.HS.Kind() == "synapse" {
		stopped = `"Keeping an appservice transaction failed; the homeserver will retry it"`
	}
	if _, line, err := s.Seedgate.Proc().WaitLine(ctx, mark, func(l string) bool { return strings.Contains(l, stopped) }); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(line, "database or disk is full") {
		t.Fatalf("the bot stopped taking events for another reason than the full disk:\n%s", line)
	}
	if state, _, _ := s.QB.State(ctx, before.Hash); !stack.IsStopped(state) {
		t.Fatalf("a vote that could not be recorded resumed the torrent: %s", state)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// With room again, the vote is taken, and every torrent that arrived gets its card and can
	// be approved.
	for _, tf := range during {
		card := waitCard(ctx, t, alice, tf.Hash)
		if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tf := range append(during, before) {
		waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed once there was room", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
	}
	auditIntact(ctx, t, s)
	s.Seedgate.Stop()
	checkSQLiteIntegrity(t, filepath.Join(dbDir, "seedgate.db"))
}

// smallFilesystem mounts a tmpfs of the given size for the test, unmounted at the end. It
// needs root (CI has it); elsewhere the test is skipped, saying so.
func smallFilesystem(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(tempDir(t), "small-fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("mounting a %s tmpfs to fill needs root: %v: %s", size, err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillFilesystem writes a file until the filesystem holding dir has no room left, and
// returns its path.
func fillFilesystem(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err = f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	// The last partial chunk may have left a few bytes; take them too.
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err = f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	return path
}

// logLineSince returns the first of a process's output lines from index from on that
// contains text, or "".
func logLineSince(p *stack.Proc, from int, text string) string {
	for _, line := range p.Lines()[from:] {
		if strings.Contains(line, text) {
			return line
		}
	}
	return ""
}

// checkSQLiteIntegrity runs SQLite's own full check of a database file.
func checkSQLiteIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var verdict string
	if err = db.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&verdict); err != nil {
		t.Fatal(err)
	}
	if verdict != "ok" {
		t.Fatalf("integrity_check of %s: %s", path, verdict)
	}
}
