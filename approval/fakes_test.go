package approval

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// fakeClient records the actions asked of it. The real qBittorrent runs in the end-to-end tests;
// here the point is counting how often each action runs.
type fakeClient struct {
	mu    sync.Mutex
	calls []string
	known map[string]torrent.Torrent // what Get finds
	// startErr, when set, is what Start answers (a client that is down).
	startErr error
}

func (f *fakeClient) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return nil
}

func (f *fakeClient) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeClient) Name() string                                   { return "box" }
func (f *fakeClient) Connect(context.Context) error                  { return nil }
func (f *fakeClient) Version() string                                { return "fake" }
func (f *fakeClient) Poll(context.Context) (*torrent.Changes, error) { return &torrent.Changes{}, nil }
func (f *fakeClient) Get(_ context.Context, hash string) (*torrent.Torrent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.known[hash]; ok {
		return &t, nil
	}
	return nil, torrent.ErrNoSuchTorrent
}
func (f *fakeClient) Stop(_ context.Context, h string) error { return f.record("stop " + h) }
func (f *fakeClient) StopMany(_ context.Context, hashes []string) error {
	return f.record("stop many " + strings.Join(hashes, ","))
}
func (f *fakeClient) Start(_ context.Context, h string) error {
	if f.startErr != nil {
		return f.startErr
	}
	return f.record("start " + h)
}
func (f *fakeClient) Remove(_ context.Context, h string, data bool) error {
	if data {
		return f.record("remove+data " + h)
	}
	return f.record("remove " + h)
}
func (f *fakeClient) SetCategory(_ context.Context, h, c string) error {
	return f.record("category " + h + " " + c)
}
func (f *fakeClient) SetTags(context.Context, string, []string) error                   { return torrent.ErrUnsupported }
func (f *fakeClient) AddFile(context.Context, string, []byte, torrent.AddOptions) error { return nil }
func (f *fakeClient) AddMagnet(context.Context, string, torrent.AddOptions) error       { return nil }

// recordingNotifier stands in for the bot.
type recordingNotifier struct {
	mu      sync.Mutex
	cards   []int // requests per card posted
	updates int
	threads []string // per card posted, the burst thread it went into ("" for the timeline)
	// maxItems, when set, is the most items a card shows, as the bot's size limit makes it.
	maxItems int
	adopted  [][2]int // per AnnounceAdopted: torrents listed, held
	// announced lists the posted announcements' torrent hashes and transaction ids; while
	// announceDown is set, Announce fails as a homeserver that is down does.
	announced    [][2]string
	announceDown bool
}

func (n *recordingNotifier) PostCard(_ context.Context, reqs []*store.Request, thread string) (Posted, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := len(reqs)
	if n.maxItems > 0 {
		count = min(count, n.maxItems)
	}
	n.cards = append(n.cards, count)
	n.threads = append(n.threads, thread)
	return Posted{Room: "!room", Event: "$card-" + reqs[0].ID, Thread: thread, Count: count}, nil
}

func (n *recordingNotifier) UpdateCard(context.Context, *store.Request, []*store.Vote) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.updates++
	return nil
}

func (n *recordingNotifier) Announce(_ context.Context, _ string, evt torrent.Event, txnID string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.announceDown {
		return errors.New("homeserver unreachable")
	}
	n.announced = append(n.announced, [2]string{evt.Torrent.Hash, txnID})
	return nil
}

func (n *recordingNotifier) AnnounceAdopted(_ context.Context, _ string, torrents, held []torrent.Torrent) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.adopted = append(n.adopted, [2]int{len(torrents), len(held)})
	return nil
}

type harness struct {
	svc      *Service
	store    *store.Store
	client   *fakeClient
	clock    time.Time
	path     string
	cfg      *config.Config
	gateway  *crypto.GatewayKey
	notifier *recordingNotifier
}

func testConfig(quorum int) *config.Config {
	cfg := &config.Config{
		Approvers: []config.Approver{
			{Name: "alice", MatrixIDs: []string{"@alice:hs", "@alice:other"}},
			{Name: "bob", MatrixIDs: []string{"@bob:hs"}},
			{Name: "carol", MatrixIDs: []string{"@carol:hs"}},
		},
		TorrentClients: []config.TorrentClient{{Name: "box", Host: "seedbox"}},
		Policies: []config.Policy{{
			Name: "p", Events: []string{"added"}, Outcome: config.OutcomeHold, Quorum: quorum,
			TTL: config.Duration(10 * time.Minute), OnApprove: config.ActionResume, OnDeny: config.ActionRemove, OnExpiry: config.ActionRemoveWithData,
			MinAssurance: config.AssuranceHomeserver,
		}},
	}
	return cfg
}

func newHarness(t *testing.T, quorum int) *harness {
	t.Helper()
	h := &harness{path: filepath.Join(t.TempDir(), "a.db"), client: &fakeClient{}, clock: time.Unix(1_800_000_000, 0), cfg: testConfig(quorum)}
	gw, err := crypto.LoadOrCreateGatewayKey(filepath.Join(t.TempDir(), "gateway.key"))
	if err != nil {
		t.Fatal(err)
	}
	h.gateway = gw
	h.reopen(t)
	return h
}

// reopen simulates a restart: a new store handle and a new service over the same database.
func (h *harness) reopen(t *testing.T) {
	t.Helper()
	if h.store != nil {
		_ = h.store.Close()
	}
	st, err := store.OpenSQLite(context.Background(), h.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h.store = st
	h.notifier = &recordingNotifier{}
	h.svc = NewService(h.cfg, st, map[string]torrent.Client{"box": h.client}, h.gateway, h.notifier)
	h.svc.now = func() time.Time { return h.clock }
}

func (h *harness) hold(t *testing.T, hash string) *store.Request {
	t.Helper()
	ctx := context.Background()
	h.svc.HandleEvent(ctx, torrent.Event{Kind: torrent.EventAdded, Client: "box", Torrent: torrent.Torrent{Hash: hash, Name: hash + ".iso", Size: 1, State: torrent.StateDownloading}})
	reqs, err := h.store.ListRequests(ctx, store.RequestPending)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.TorrentHash == hash {
			return r
		}
	}
	t.Fatalf("no pending request for %s", hash)
	return nil
}

func (h *harness) vote(t *testing.T, req *store.Request, voter string, decision store.Decision) *Result {
	t.Helper()
	res, err := h.svc.Vote(context.Background(), Ballot{RequestID: req.ID, Voter: voter, Decision: decision, Assurance: AssuranceHomeserver, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (h *harness) state(t *testing.T, id string) *store.Request {
	t.Helper()
	r, err := h.store.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
