package door

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// gate is seedgate's torrent side in this process: the watcher and the approval service over
// one database, as `seedgate run` wires them, with Matrix replaced by a notifier that shows
// nothing. Stopping it is seedgate being down: nothing of it runs until it starts again on
// the same database.
type gate struct {
	svc    *approval.Service
	store  *store.Store
	cancel context.CancelFunc
	done   sync.WaitGroup
	notes  *notices
}

// holdPolicyPattern is what the hold policy holds: torrents whose name starts with "held-".
// A policy before it holds "fetch-" ones, letting a magnet fetch its metadata first; as a
// magnet's name is unknown until then, it holds every magnet, which is the one magnet here.
const holdPolicyPattern = `^held-`

func gateConfig(clientName, mode string) *config.Config {
	return &config.Config{
		Approvers:      []config.Approver{{Name: "alice", MatrixIDs: []string{"@alice:hs"}}},
		TorrentClients: []config.TorrentClient{{Name: clientName, Host: "seedbox.test", Gate: mode}},
		Policies: []config.Policy{{
			Name: "fetch-first", Events: []string{"added"}, NamePattern: `^fetch-`, Outcome: config.OutcomeHold, Quorum: 1,
			DenyThreshold: 1, TTL: config.Duration(10 * time.Minute), OnApprove: config.ActionResume,
			OnDeny: config.ActionRemove, OnExpiry: config.ActionRemove, MinAssurance: config.AssuranceHomeserver,
			Metadata: config.MetadataFetchFirst,
		}, {
			Name: "held", Events: []string{"added"}, NamePattern: holdPolicyPattern, Outcome: config.OutcomeHold, Quorum: 1,
			DenyThreshold: 1, TTL: config.Duration(10 * time.Minute), OnApprove: config.ActionResume,
			OnDeny: config.ActionRemove, OnExpiry: config.ActionRemove, MinAssurance: config.AssuranceHomeserver,
			Metadata: config.MetadataKnown,
		}},
	}
}

// startGate starts the watcher and the approval service on dbPath. owner is the test the gate
// lives as long as (it logs there and stops with it), which may outlast t, the test starting it.
func startGate(t, owner *testing.T, client torrent.Client, mode, dbPath string, interval time.Duration) *gate {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(owner)).Level(zerolog.InfoLevel).With().Str("client", client.Name()).Logger()
	ctx, cancel := context.WithCancel(log.WithContext(context.Background()))
	st, err := store.OpenSQLite(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := crypto.LoadOrCreateGatewayKey(filepath.Join(filepath.Dir(dbPath), "gateway.key"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateConfig(client.Name(), mode)
	g := &gate{store: st, cancel: cancel, notes: &notices{}}
	g.svc = approval.NewService(cfg, st, map[string]torrent.Client{client.Name(): client}, gw, g.notes)
	w := torrent.NewWatcher(client, st, interval, g.svc.HandleEvent)
	w.Running = g.svc.EnforceHold
	w.Arriving = g.svc.PrepareHolds
	if mode == config.GateDoor {
		w.Door, w.Adopt = true, g.svc.Adopt
	}
	g.done.Add(2)
	go func() { defer g.done.Done(); _ = w.Run(ctx) }()
	go func() { defer g.done.Done(); _ = g.svc.Run(ctx) }()
	owner.Cleanup(g.stop)
	return g
}

// stop ends the gate and waits until nothing of it runs.
func (g *gate) stop() {
	if g.cancel == nil {
		return
	}
	g.cancel()
	g.done.Wait()
	_ = g.store.Close()
	g.cancel = nil
}

// awaitRequest waits until a pending request holds hash.
func (g *gate) awaitRequest(ctx context.Context, t *testing.T, hash string) *store.Request {
	t.Helper()
	for {
		reqs, err := g.store.ListRequests(ctx, store.RequestPending)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if r.TorrentHash == hash {
				return r
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no request for %s", hash)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// decide votes as alice, as her reaction on the card would.
func (g *gate) decide(ctx context.Context, t *testing.T, req *store.Request, decision store.Decision) {
	t.Helper()
	res, err := g.svc.Vote(ctx, approval.Ballot{RequestID: req.ID, Voter: "@alice:hs", Decision: decision,
		Assurance: approval.AssuranceHomeserver, Source: "test"})
	if err != nil || !res.Counted {
		t.Fatalf("vote %s on %s: %+v %v", decision, req.ID, res, err)
	}
}

// notices stands in for the bot: the torrent side never needs Matrix to hold or release.
type notices struct {
	mu      sync.Mutex
	adopted [][2]int // torrents listed, held
}

func (n *notices) PostCard(_ context.Context, reqs []*store.Request, thread string) (approval.Posted, error) {
	return approval.Posted{Room: "!room:hs", Event: "$card-" + reqs[0].ID, Thread: thread, Count: len(reqs)}, nil
}
func (n *notices) UpdateCard(context.Context, *store.Request, []*store.Vote) error { return nil }
func (n *notices) Announce(context.Context, string, torrent.Event, string) error   { return nil }
func (n *notices) AnnounceAdopted(_ context.Context, _ string, torrents, held []torrent.Torrent) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.adopted = append(n.adopted, [2]int{len(torrents), len(held)})
	return nil
}

func (n *notices) adoptions() [][2]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([][2]int(nil), n.adopted...)
}
