package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/seedgate/seedgate/test/stack"
)

// TestOneActiveSeedgateAndAStandby runs seedgate on PostgreSQL with a second and a third
// instance on the same database, each on its own appservice port behind the registration's
// address (appserviceFront, as a load balancer would). The second, not a standby, refuses to
// start and names the active one. The third, a standby, takes over when the active one
// freezes (SIGSTOP, a paused VM) past its 3 s lease, then serves: a new torrent is held,
// carded and approved through it. Resumed, the frozen one notices it lost the lease and
// stops, and the audit chain is intact.
func TestOneActiveSeedgateAndAStandby(t *testing.T) {
	ctx, s := upStack(t, 4*time.Minute, stack.Options{Approvers: []string{"alice"}, Postgres: true})
	alice := s.Clients["alice"]
	registered := readConfig(t, s)["appservice"].(map[string]any)["listen"].(string)
	activeListen, standbyListen := freeAddr(t), freeAddr(t)
	variant := func(name string, change func(db map[string]any, cfg map[string]any)) string {
		cfg := readConfig(t, s)
		cfg["appservice"].(map[string]any)["public_url"] = "http://" + registered
		db, _ := cfg["database"].(map[string]any)
		if db == nil {
			db = map[string]any{}
			cfg["database"] = db
		}
		db["lease_ttl"] = "3s"
		change(db, cfg)
		raw, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(s.Seedgate.Dir, name+".yaml")
		if err = os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The active one, with a short lease, behind the front.
	s.Seedgate.Stop()
	front := newAppserviceFront(t, registered)
	front.sendTo(activeListen)
	s.Seedgate.ConfigPath = variant("active", func(_, cfg map[string]any) { cfg["appservice"].(map[string]any)["listen"] = activeListen })
	if err := s.Seedgate.Start(ctx); err != nil {
		t.Fatal(err)
	}
	active := s.Seedgate.Proc()

	t.Run("a second seedgate refuses, naming the active one", func(t *testing.T) {
		second, err := stack.StartProc("seedgate-second", filepath.Join(s.Seedgate.Dir, "second.log"), nil, nil, s.Seedgate.Bin, "-c", s.Seedgate.ConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		if err = second.Wait(ctx); err == nil {
			t.Fatal("a second seedgate on the same database started")
		}
		log := strings.Join(second.Lines(), "\n")
		if !strings.Contains(log, "another seedgate is active on this database") || !strings.Contains(log, fmt.Sprintf("pid %d on ", active.Pid())) ||
			!strings.Contains(log, "database.standby: true") {
			t.Fatalf("the refusal does not name the active seedgate (pid %d) and the way out:\n%s", active.Pid(), log)
		}
	})

	// The standby: its own appservice port, the same database, keys and bot device.
	standbyConfig := variant("standby", func(db, cfg map[string]any) {
		db["standby"] = true
		cfg["appservice"].(map[string]any)["listen"] = standbyListen
	})
	standby, err := stack.StartProc("seedgate-standby", filepath.Join(s.Seedgate.Dir, "standby.log"), nil, nil, s.Seedgate.Bin, "-c", standbyConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(standby.Stop)
	if _, _, err = standby.WaitLine(ctx, 0, func(l string) bool { return strings.Contains(l, "standing by to take over") }); err != nil {
		t.Fatalf("the standby never said it stands by: %v\n%s", err, strings.Join(standby.Lines(), "\n"))
	}

	// The active one freezes.
	if err = syscall.Kill(active.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	t.Cleanup(func() { _ = syscall.Kill(active.Pid(), syscall.SIGCONT) })
	if _, _, err = standby.WaitLine(ctx, 0, func(l string) bool { return strings.Contains(l, `"seedgate running"`) }); err != nil {
		t.Fatalf("the standby never took over: %v\n%s", err, strings.Join(standby.Lines(), "\n"))
	}
	t.Logf("takeover: the standby was serving %s after the active seedgate froze (lease 3 s)", time.Since(frozen).Round(10*time.Millisecond))
	front.sendTo(standbyListen)

	tf, err := stack.MakeTorrent("", "after-takeover.bin", 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err = s.QB.Add(ctx, tf); err != nil {
		t.Fatal(err)
	}
	card := waitCard(ctx, t, alice, tf.Hash)
	if _, err = alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed after approval through the standby", func(state string, exists bool) bool {
		return exists && !stack.IsStopped(state)
	})

	// The frozen one resumes: it must stop, without writing.
	from := len(active.Lines())
	if err = syscall.Kill(active.Pid(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err = active.Wait(ctx); err == nil {
		t.Fatal("the resumed seedgate exited cleanly; it should stop because it lost the lease")
	}
	after := strings.Join(active.Lines()[from:], "\n")
	if !strings.Contains(after, "Lost the database's lease") {
		t.Fatalf("the resumed seedgate did not say it lost the lease:\n%s", after)
	}
	for _, wrote := range []string{"Torrent held for approval", "Posted a digest card", "Request decided"} {
		if strings.Contains(after, wrote) {
			t.Errorf("the resumed seedgate logged %q after it lost the lease:\n%s", wrote, after)
		}
	}
	auditIntact(ctx, t, s)
}

// TestSecondSeedgateRefusedOnSQLite: with SQLite (the default) a second seedgate on the same
// file refuses to start and names the running one, as on PostgreSQL.
func TestSecondSeedgateRefusedOnSQLite(t *testing.T) {
	ctx, s := upStack(t, 2*time.Minute, stack.Options{Approvers: []string{"alice"}})
	second, err := stack.StartProc("seedgate-second", filepath.Join(s.Seedgate.Dir, "second.log"), nil, nil, s.Seedgate.Bin, "-c", s.Seedgate.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if err = second.Wait(ctx); err == nil {
		t.Fatal("a second seedgate on the same SQLite database started")
	}
	if log := strings.Join(second.Lines(), "\n"); !strings.Contains(log, fmt.Sprintf("pid %d on ", s.Seedgate.Proc().Pid())) {
		t.Fatalf("the refusal does not name the running seedgate (pid %d):\n%s", s.Seedgate.Proc().Pid(), log)
	}
	if s.Seedgate.Proc().Exited() {
		t.Fatal("the running seedgate stopped")
	}
}
