package approval

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// doorHarness is a harness whose client is in door mode and whose hold policy covers only the
// category "held"; an "announced" category is only announced.
func doorHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, 1)
	h.cfg.TorrentClients[0].Gate = config.GateDoor
	h.cfg.Policies[0].Categories = []string{"held"}
	h.cfg.Policies[0].Metadata = config.MetadataKnown
	announce := h.cfg.Policies[0]
	announce.Name, announce.Outcome, announce.Categories = "notice", config.OutcomeAnnounce, []string{"announced"}
	h.cfg.Policies = append(h.cfg.Policies, announce)
	h.reopen(t)
	return h
}

func added(hash, category string, state torrent.State) torrent.Event {
	return torrent.Event{Kind: torrent.EventAdded, Client: "box",
		Torrent: torrent.Torrent{Hash: hash, Name: hash, Size: 1 << 20, Category: category, State: state}}
}

func TestDoorModeStartsOnlyWhatNoPolicyHolds(t *testing.T) {
	h := doorHarness(t)
	ctx := context.Background()
	for _, evt := range []torrent.Event{
		added("free", "", torrent.StateStopped),
		added("noticed", "announced", torrent.StateStopped),
		added("checking", "", torrent.StateChecking),
		added("held", "held", torrent.StateStopped),
		added("errored", "", torrent.StateErrored),
		added("running", "", torrent.StateDownloading),
		{Kind: torrent.EventStopped, Client: "box", Torrent: torrent.Torrent{Hash: "paused-by-owner", State: torrent.StateStopped, Size: 1}},
	} {
		if err := h.svc.HandleEvent(ctx, evt); err != nil {
			t.Fatalf("%s: %v", evt.Torrent.Hash, err)
		}
	}
	want := []string{"start free", "start noticed", "start checking"}
	if got := h.client.Calls(); !slices.Equal(got, want) {
		t.Fatalf("client calls %v, want %v (the held one needs no stop call: it was added stopped)", got, want)
	}
	reqs, _ := h.store.ListRequests(ctx, store.RequestPending)
	if len(reqs) != 1 || reqs[0].TorrentHash != "held" {
		t.Fatalf("pending requests %v, want one for the held torrent", reqs)
	}
}

func TestDoorModeStartFailureIsRetried(t *testing.T) {
	h := doorHarness(t)
	h.client.startErr = errors.New("connection refused")
	if err := h.svc.HandleEvent(context.Background(), added("free", "", torrent.StateStopped)); err == nil {
		t.Fatal("a torrent seedgate could not start was reported handled; the watcher would not offer it again")
	}
}

func TestAfterStartModeNeverStarts(t *testing.T) {
	h := newHarness(t, 1)
	h.cfg.TorrentClients[0].Gate = config.GateAfterStart
	h.cfg.Policies[0].Categories = []string{"held"}
	h.reopen(t)
	if err := h.svc.HandleEvent(context.Background(), added("free", "", torrent.StateStopped)); err != nil {
		t.Fatal(err)
	}
	if calls := h.client.Calls(); len(calls) != 0 {
		t.Fatalf("after_start mode acted on a torrent no policy holds: %v", calls)
	}
}

func TestAdoptHoldsRunningTorrentsAndStartsNothing(t *testing.T) {
	h := doorHarness(t)
	ctx := context.Background()
	existing := []torrent.Torrent{
		{Hash: "seeding-held", Category: "held", State: torrent.StateSeeding, Size: 1},
		{Hash: "stopped-held", Category: "held", State: torrent.StateStopped, Size: 1},
		{Hash: "seeding-free", State: torrent.StateSeeding, Size: 1},
	}
	if err := h.svc.Adopt(ctx, "box", existing); err != nil {
		t.Fatal(err)
	}
	if got, want := h.client.Calls(), []string{"stop seeding-held"}; !slices.Equal(got, want) {
		t.Fatalf("client calls %v, want %v", got, want)
	}
	reqs, _ := h.store.ListRequests(ctx, store.RequestPending)
	if len(reqs) != 1 || reqs[0].TorrentHash != "seeding-held" || reqs[0].OnExpiry != config.ActionKeepStopped {
		t.Fatalf("pending requests %+v, want one for seeding-held that keeps it stopped on expiry", reqs)
	}
	if len(h.notifier.adopted) != 1 || h.notifier.adopted[0] != [2]int{3, 1} {
		t.Fatalf("adoption notices %v, want one listing 3 torrents, 1 held", h.notifier.adopted)
	}
	// Offered again (the first sync was not recorded): one request still.
	if err := h.svc.Adopt(ctx, "box", existing); err != nil {
		t.Fatal(err)
	}
	if reqs, _ = h.store.ListRequests(ctx, store.RequestPending); len(reqs) != 1 {
		t.Fatalf("adopting twice opened %d requests", len(reqs))
	}
}

// TestFetchFirstRunsAMagnetOnlyUntilItsMetadata: under metadata: fetch_first a held magnet is
// started so it learns its size and files; while it fetches, a running hold is not
// re-applied; once the metadata is in and it downloads, it is stopped like any held torrent.
func TestFetchFirstRunsAMagnetOnlyUntilItsMetadata(t *testing.T) {
	h := doorHarness(t)
	h.cfg.Policies[0].Metadata = config.MetadataFetchFirst
	h.reopen(t)
	ctx := context.Background()
	magnet := torrent.Torrent{Hash: "mm", Name: "mm", Category: "held", State: torrent.StateStopped}
	if err := h.svc.HandleEvent(ctx, torrent.Event{Kind: torrent.EventAdded, Client: "box", Torrent: magnet}); err != nil {
		t.Fatal(err)
	}
	if got := h.client.Calls(); !slices.Equal(got, []string{"start mm"}) {
		t.Fatalf("client calls %v, want the magnet started to fetch its metadata", got)
	}
	magnet.State = torrent.StateMetadata
	h.svc.EnforceHold(ctx, "box", magnet)
	if got := h.client.Calls(); len(got) != 1 {
		t.Fatalf("a magnet fetching its metadata was stopped: %v", got)
	}
	magnet.State, magnet.Size = torrent.StateDownloading, 4<<30
	h.svc.EnforceHold(ctx, "box", magnet)
	if got := h.client.Calls(); !slices.Equal(got, []string{"start mm", "stop mm"}) {
		t.Fatalf("client calls %v, want it stopped once its metadata was in", got)
	}
	// Under the default (metadata: known) the same magnet is never started.
	h2 := doorHarness(t)
	magnet2 := torrent.Torrent{Hash: "m2", Name: "m2", Category: "held", State: torrent.StateStopped}
	if err := h2.svc.HandleEvent(ctx, torrent.Event{Kind: torrent.EventAdded, Client: "box", Torrent: magnet2}); err != nil {
		t.Fatal(err)
	}
	if got := h2.client.Calls(); len(got) != 0 {
		t.Fatalf("a magnet held on what is known was acted on: %v", got)
	}
}
