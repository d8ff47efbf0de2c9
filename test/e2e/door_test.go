package e2e

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// TestDoorHoldsThroughAKill is the door end to end on qBittorrent with its on-added hook, a real
// tracker (opentracker, every announce counted) and a seeder in the swarm: a torrent added
// while seedgate runs, and one added while seedgate is SIGKILLed and for 30 s after, make not a
// single announce and receive not a byte until the approver decides from the Matrix client;
// approved, one downloads from the seeder; denied, the other is removed unannounced.
func TestDoorHoldsThroughAKill(t *testing.T) {
	stack.RequireSeeder(t)
	opentracker := stack.RequireProgram(t, "opentracker")
	tracker, err := stack.ListenTracker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tracker.Stop)
	seedDir := tempDir(t)
	var torrents []*stack.TorrentFile
	var hashes []string
	for _, name := range []string{"door-hooked.bin", "door-while-killed.bin"} {
		tf, err := stack.MakeTorrentAnnounce(seedDir, name, 1<<20, tracker.AnnounceURL)
		if err != nil {
			t.Fatal(err)
		}
		torrents, hashes = append(torrents, tf), append(hashes, tf.Hash)
	}
	hooked, whileKilled := torrents[0], torrents[1]

	ctx, s := upStack(t, 4*time.Minute, stack.Options{Approvers: []string{"alice"}, Hooks: true, PollInterval: "10m"})
	if err = tracker.Start(ctx, opentracker, filepath.Join(tempDir(t), "tracker"), hashes); err != nil {
		t.Fatal(err)
	}
	seeder, err := stack.StartSeederOf(ctx, torrents, seedDir, tempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(seeder.Stop)
	for _, tf := range torrents {
		if err = tracker.AwaitAnnounce(ctx, tf.Hash, -1); err != nil {
			t.Fatal(err)
		}
	}
	alice := s.Clients["alice"]
	untouched := func(tf *stack.TorrentFile, when string) {
		t.Helper()
		sent, err := seeder.Uploaded(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(tracker.Announces(tf.Hash, seeder.Port)); n != 0 || sent[tf.Hash] != 0 {
			t.Fatalf("%s %s: %d announces, %d payload bytes; want none", tf.Name, when, n, sent[tf.Hash])
		}
	}

	// Seedgate running: the hook (the poll interval is ten minutes) brings the card.
	if err = s.QB.Add(ctx, hooked); err != nil {
		t.Fatal(err)
	}
	hookedCard := waitCard(ctx, t, alice, hooked.Hash)
	untouched(hooked, "on its card")

	// Seedgate killed before the add, back 30 s later.
	s.Seedgate.Proc().Kill()
	if err = s.QB.Add(ctx, whileKilled); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Second) // the scenario: seedgate is away this long
	untouched(whileKilled, "while seedgate was down")
	if err = s.Seedgate.Start(ctx); err != nil {
		t.Fatal(err)
	}
	killedCard := waitCard(ctx, t, alice, whileKilled.Hash)
	untouched(whileKilled, "on its card")
	untouched(hooked, "after the restart")

	if _, err = alice.React(ctx, killedCard.RoomID, killedCard.EventID, "❌"); err != nil {
		t.Fatal(err)
	}
	waitTorrentState(ctx, t, s.QB, whileKilled.Hash, "removed after denial", func(_ string, exists bool) bool { return !exists })
	untouched(whileKilled, "after denial")

	if _, err = alice.React(ctx, hookedCard.RoomID, hookedCard.EventID, "✅"); err != nil {
		t.Fatal(err)
	}
	if err = tracker.AwaitAnnounce(ctx, hooked.Hash, seeder.Port); err != nil {
		t.Fatalf("approved, it never announced: %v", err)
	}
	eventually(ctx, t, "the approved torrent downloaded from the seeder", func() (bool, error) {
		sent, err := seeder.Uploaded(ctx)
		return err == nil && sent[hooked.Hash] >= 1<<20, err
	})
	t.Logf("door on %s: 0 announces before each decision; the approved one announced %d times and downloaded its 1 MiB",
		s.HS.Kind(), len(tracker.Announces(hooked.Hash, seeder.Port)))
}

// TestHeldTorrentStartedByHandIsStoppedAgain: in door mode as before, someone resuming a held
// torrent in the client's own UI does not get past the hold: seedgate stops it again at its next
// look and audits it, and the request stays open for the approvers.
func TestHeldTorrentStartedByHandIsStoppedAgain(t *testing.T) {
	ctx, s := upStack(t, 3*time.Minute, stack.Options{Approvers: []string{"alice"}})
	held, _ := addHeld(ctx, t, s, s.Clients["alice"], "resumed-by-hand.bin")
	qb, err := s.QB.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err = qb.Post(ctx, "torrents/resume", url.Values{"hashes": {held.Hash}}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, "the hold re-applied and audited", func() (bool, error) {
		for _, e := range auditEntries(ctx, t, s) {
			if e.Kind == "hold_reapplied" && e.Data.Hash == held.Hash {
				return true, nil
			}
		}
		return false, nil
	})
	waitTorrentState(ctx, t, s.QB, held.Hash, "stopped again", func(state string, exists bool) bool { return exists && stack.IsStopped(state) })
}
