package door

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// downFor is how long seedgate stays down in the outage scenarios, as the issue measured.
const downFor = 30 * time.Second

// pollInterval is 1 s, the watcher's default before door mode halved it: these runs have no
// hook, so polling is all there is, and the wider interval keeps the after_start exposure
// figures in docs/clients.md comparable with the issue's.
const pollInterval = time.Second

// TestDoor runs every scenario on each real client against a real tracker and seeder:
//   - after_start (the door left open, as the owner's defaults have it): a held torrent, added
//     while seedgate runs and while it is down for 30 s, announces and downloads before its
//     hold; the figures are logged, for docs/clients.md;
//   - door, first look: seedgate closes the client's door itself, adopts what was there in one
//     notice and holds what runs and a policy holds;
//   - door, seedgate running and seedgate down for 30 s at the add: 0 announces and 0 payload
//     bytes before the decision; after approval the torrent announces and downloads from the
//     seeder; after denial it is removed and never announced; one no policy holds is started.
func TestDoor(t *testing.T) {
	stack.RequireSeeder(t)
	opentracker := stack.RequireProgram(t, "opentracker")
	for _, c := range clientsUnderTest() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runDoor(t, c, opentracker)
		})
	}
}

// swarm is one client with a tracker and a seeder that has every torrent the run adds.
type swarm struct {
	client   torrent.Client
	tracker  *stack.Tracker
	seeder   *stack.Seeder
	torrents map[string]*stack.TorrentFile // by name
}

var swarmNames = []string{
	"held-after-start", "held-after-start-down", "held-adopted",
	"held-approve", "held-deny", "free",
	"held-down-approve", "held-down-deny", "free-down", "fetch-first",
}

func newSwarm(ctx context.Context, t *testing.T, c clientUnderTest, opentracker string) *swarm {
	tracker, err := stack.ListenTracker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tracker.Stop)
	seedDir := t.TempDir()
	s := &swarm{tracker: tracker, torrents: map[string]*stack.TorrentFile{}}
	var hashes []string
	var all []*stack.TorrentFile
	for _, name := range swarmNames {
		tf, err := stack.MakeTorrentAnnounce(seedDir, name+".bin", 2<<20, tracker.AnnounceURL)
		if err != nil {
			t.Fatal(err)
		}
		s.torrents[name] = tf
		hashes = append(hashes, tf.Hash)
		all = append(all, tf)
	}
	if err = tracker.Start(ctx, opentracker, filepath.Join(t.TempDir(), "tracker"), hashes); err != nil {
		t.Fatal(err)
	}
	if s.seeder, err = stack.StartSeederOf(ctx, all, seedDir, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.seeder.Stop)
	for _, tf := range all {
		if err = tracker.AwaitAnnounce(ctx, tf.Hash, -1); err != nil {
			t.Fatalf("the seeder never announced: %v", err)
		}
	}
	s.client = c.start(ctx, t, filepath.Join(t.TempDir(), c.name))
	if err = s.client.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// add adds a torrent as its owner would, leaving starting to the client's own setting.
func (s *swarm) add(ctx context.Context, t *testing.T, name string) *stack.TorrentFile {
	t.Helper()
	tf := s.torrents[name]
	if err := s.client.AddFile(ctx, name+".torrent", tf.Metainfo, torrent.AddOptions{ClientDefault: true}); err != nil {
		t.Fatalf("adding %s: %v", name, err)
	}
	return tf
}

// exposure is what a torrent did in the swarm: announces to the tracker from the client, and
// payload bytes the seeder sent.
type exposure struct {
	announces int
	bytes     int64
}

func (e exposure) String() string {
	return fmt.Sprintf("%d announces, %d payload bytes", e.announces, e.bytes)
}

func (s *swarm) exposure(ctx context.Context, t *testing.T, tf *stack.TorrentFile) exposure {
	t.Helper()
	sent, err := s.seeder.Uploaded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return exposure{announces: len(s.tracker.Announces(tf.Hash, s.seeder.Port)), bytes: sent[tf.Hash]}
}

// await waits until the client reports hash in a state ok accepts (nil: gone).
func (s *swarm) await(ctx context.Context, t *testing.T, tf *stack.TorrentFile, what string, ok func(*torrent.Torrent) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got, err := s.client.Get(ctx, tf.Hash)
		if errors.Is(err, torrent.ErrNoSuchTorrent) {
			got, err = nil, nil
		}
		if err == nil && ok(got) {
			return time.Since(start)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never %s (last %+v, %v)", tf.Name, what, got, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func running(t *torrent.Torrent) bool  { return t != nil && t.State.Running() }
func stopped(t *torrent.Torrent) bool  { return t != nil && !t.State.Running() }
func complete(t *torrent.Torrent) bool { return t != nil && t.Progress >= 1 }
func gone(t *torrent.Torrent) bool     { return t == nil }

// awaitBaseline waits until the watcher recorded its first sync, so what is added next is new.
func awaitBaseline(ctx context.Context, t *testing.T, g *gate, client string) {
	t.Helper()
	for {
		if v, err := g.store.GetKV(ctx, "watcher/"+client+"/baseline"); err == nil && v != "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the watcher never recorded its first sync")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func runDoor(t *testing.T, c clientUnderTest, opentracker string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := newSwarm(ctx, t, c, opentracker)
	name := s.client.Name()
	top := t // the door-mode gate outlives the subtest that starts it

	t.Run("after_start", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "after-start.db")
		g := startGate(t, top, s.client, config.GateAfterStart, db, pollInterval)
		awaitBaseline(ctx, t, g, name)
		tf := s.add(ctx, t, "held-after-start")
		req := g.awaitRequest(ctx, t, tf.Hash)
		heldAfter := s.await(ctx, t, tf, "stopped", stopped)
		t.Logf("EXPOSURE %s after_start polling: %v before the hold (stopped %v after the request opened)", name, s.exposure(ctx, t, tf), heldAfter)
		g.decide(ctx, t, req, store.DecisionDeny)
		s.await(ctx, t, tf, "removed", gone)

		g.stop()
		down := s.add(ctx, t, "held-after-start-down")
		time.Sleep(downFor) // the scenario: seedgate is down this long
		g = startGate(t, top, s.client, config.GateAfterStart, db, pollInterval)
		g.awaitRequest(ctx, t, down.Hash)
		s.await(ctx, t, down, "stopped", stopped)
		t.Logf("EXPOSURE %s after_start seedgate down %v: %v before the hold", name, downFor, s.exposure(ctx, t, down))
		g.stop()
		// Added before seedgate first meets this client in door mode, with the door open:
		// the owner's torrent from before seedgate, running.
		s.add(ctx, t, "held-adopted")
		s.await(ctx, t, s.torrents["held-adopted"], "running", running)
	})
	if t.Failed() {
		return
	}

	db := filepath.Join(t.TempDir(), "door.db")
	var g *gate
	t.Run("door_first_look", func(t *testing.T) {
		g = startGate(t, top, s.client, config.GateDoor, db, pollInterval)
		awaitBaseline(ctx, t, g, name)
		closed, err := s.client.(torrent.Door).DoorClosed(ctx)
		if err != nil || !closed {
			t.Fatalf("seedgate did not close the client's door: closed=%v, %v", closed, err)
		}
		adopted := s.torrents["held-adopted"]
		req := g.awaitRequest(ctx, t, adopted.Hash)
		if req.OnExpiry != config.ActionKeepStopped {
			t.Errorf("an adopted torrent's request does %s on expiry, want %s", req.OnExpiry, config.ActionKeepStopped)
		}
		s.await(ctx, t, adopted, "stopped", stopped)
		// Listed: the stopped held-after-start-down and the adopted one; held: the adopted one.
		if notes := g.notes.adoptions(); len(notes) != 1 || notes[0] != [2]int{2, 1} {
			t.Errorf("adoption notices %v, want one listing 2 torrents with 1 held", notes)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("door_polling", func(t *testing.T) {
		approve, deny, free := s.add(ctx, t, "held-approve"), s.add(ctx, t, "held-deny"), s.add(ctx, t, "free")
		started := s.await(ctx, t, free, "started", running)
		t.Logf("DOOR %s: a torrent no policy holds ran %v after it was added (polling every %v)", name, started, pollInterval)
		decideAndCheck(ctx, t, s, g, approve, deny)
	})
	if t.Failed() {
		return
	}

	t.Run("door_magnet_fetch_first", func(t *testing.T) {
		if !c.magnets {
			t.Skipf("%s: on loopback a magnet's metadata can come only from a peer it dials itself, and it does not (see clients_test.go)", name)
		}
		tf := s.torrents["fetch-first"]
		magnet := "magnet:?xt=urn:btih:" + tf.Hash + "&dn=fetch-first.bin&tr=" + url.QueryEscape(s.tracker.AnnounceURL)
		if err := s.client.AddMagnet(ctx, magnet, torrent.AddOptions{ClientDefault: true}); err != nil {
			t.Fatal(err)
		}
		req := g.awaitRequest(ctx, t, tf.Hash)
		// The policy lets it fetch its metadata: it must announce (that is the exposure the
		// card warns of), then stop once the metadata is in, still held.
		if err := s.tracker.AwaitAnnounce(ctx, tf.Hash, s.seeder.Port); err != nil {
			t.Fatal(err)
		}
		// The seeder dials the port the client announced too: rTorrent on loopback did not
		// always reach the seeder the tracker named (1 run in 3 never got the metadata).
		if err := s.seeder.Connect(ctx, tf.Hash, s.tracker.Announces(tf.Hash, s.seeder.Port)[0].Port); err != nil {
			t.Fatal(err)
		}
		s.await(ctx, t, tf, "stopped with its metadata known", func(got *torrent.Torrent) bool {
			return got != nil && got.Size == tf.Size && !got.State.Running()
		})
		if r, err := g.store.GetRequest(ctx, req.ID); err != nil || r.State != store.RequestPending {
			t.Fatalf("the fetch_first request after its metadata: %+v, %v; want still pending", r, err)
		}
		t.Logf("FETCH %s: metadata fetched, then stopped; %v", name, s.exposure(ctx, t, tf))
	})
	if t.Failed() {
		return
	}

	t.Run("door_seedgate_down", func(t *testing.T) {
		g.stop()
		approve, deny, free := s.add(ctx, t, "held-down-approve"), s.add(ctx, t, "held-down-deny"), s.add(ctx, t, "free-down")
		time.Sleep(downFor) // the scenario: seedgate is down this long
		for _, tf := range []*stack.TorrentFile{approve, deny, free} {
			if e := s.exposure(ctx, t, tf); e != (exposure{}) {
				t.Errorf("%s while seedgate was down: %v, want none", tf.Name, e)
			}
		}
		g = startGate(t, top, s.client, config.GateDoor, db, pollInterval)
		s.await(ctx, t, free, "started after seedgate came back", running)
		decideAndCheck(ctx, t, s, g, approve, deny)
	})
}

// decideAndCheck checks two held torrents never reached the swarm, then approves one (it
// announces and downloads from the seeder) and denies the other (removed, never announced).
func decideAndCheck(ctx context.Context, t *testing.T, s *swarm, g *gate, approve, deny *stack.TorrentFile) {
	t.Helper()
	approveReq, denyReq := g.awaitRequest(ctx, t, approve.Hash), g.awaitRequest(ctx, t, deny.Hash)
	for _, tf := range []*stack.TorrentFile{approve, deny} {
		if e := s.exposure(ctx, t, tf); e != (exposure{}) {
			t.Errorf("%s before its decision: %v, want none", tf.Name, e)
		}
		if got, err := s.client.Get(ctx, tf.Hash); err != nil || got.State.Running() || got.Progress > 0 {
			t.Errorf("%s before its decision: %+v, %v; want stopped with nothing downloaded", tf.Name, got, err)
		}
	}
	g.decide(ctx, t, denyReq, store.DecisionDeny)
	s.await(ctx, t, deny, "removed after denial", gone)
	g.decide(ctx, t, approveReq, store.DecisionApprove)
	if err := s.tracker.AwaitAnnounce(ctx, approve.Hash, s.seeder.Port); err != nil {
		t.Fatalf("approved %s never announced: %v", approve.Name, err)
	}
	// The tracker gave the client the seeder; the seeder also dials the port the client
	// announced, as Transmission never dials a 127.x peer itself.
	if err := s.seeder.Connect(ctx, approve.Hash, s.tracker.Announces(approve.Hash, s.seeder.Port)[0].Port); err != nil {
		t.Fatal(err)
	}
	took := s.await(ctx, t, approve, "downloaded after approval", complete)
	t.Logf("approved %s: announced and downloaded 2 MiB from the seeder in %v", approve.Name, took)
	if e := s.exposure(ctx, t, deny); e.announces != 0 || e.bytes != 0 {
		t.Errorf("denied %s: %v, want none", deny.Name, e)
	}
}
