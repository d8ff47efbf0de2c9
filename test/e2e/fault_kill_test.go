package e2e

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// killedFlows is how many approval flows run while seedgate is killed over and over.
const killedFlows = 200

// TestKilledDuringApprovalFlows runs 200 approval flows (a torrent arrives, is held, carded,
// approved or denied, and the decision carried out) while seedgate is killed with SIGKILL at
// random moments and started again each time. No request may be lost or opened twice, no card
// shown twice, no vote recorded twice, no action started twice, every torrent must end as
// decided, and the audit chain must be intact.
func TestKilledDuringApprovalFlows(t *testing.T) {
	ctx, s := upStack(t, 12*time.Minute, stack.Options{Approvers: []string{"alice"}})
	alice := s.Clients["alice"]
	session, err := s.QB.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := make([]*stack.TorrentFile, killedFlows)
	approve := map[string]bool{} // by hash: approve (even) or deny (odd)
	for i := range files {
		if files[i], err = stack.MakeTorrent("", fmt.Sprintf("flow-%03d.bin", i), 16<<10); err != nil {
			t.Fatal(err)
		}
		approve[files[i].Hash] = i%2 == 0
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	stopKilling, killerDone := make(chan struct{}), make(chan error, 1)
	var stopOnce sync.Once
	stopKiller := func() error {
		stopOnce.Do(func() { close(stopKilling) })
		return <-killerDone
	}
	// On a failure the killer must be stopped before the stack goes down, or it would start a
	// seedgate nobody stops.
	t.Cleanup(func() { _ = stopKiller() })
	kills := 0
	go func() {
		for {
			select {
			case <-stopKilling:
				killerDone <- nil
				close(killerDone)
				return
			case <-time.After(time.Duration(200+rng.IntN(2800)) * time.Millisecond):
			}
			s.Seedgate.Proc().Kill()
			kills++
			if err := s.Seedgate.Start(ctx); err != nil {
				killerDone <- fmt.Errorf("restart after kill %d: %w", kills, err)
				close(killerDone)
				return
			}
		}
	}()

	reacted, reactorDone := reactToCards(ctx, alice, approve, killedFlows)

	for start := 0; start < killedFlows; start += 10 {
		if err = session.AddBatch(ctx, files[start:start+10], false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // pacing: the flows overlap the kills instead of arriving at once
	}
	if err = <-reactorDone; err != nil {
		t.Fatalf("approver: %v", err)
	}
	awaitDecided(ctx, t, session, approve)
	if err = stopKiller(); err != nil {
		t.Fatal(err)
	}
	t.Logf("seedgate killed %d times during %d flows", kills, killedFlows)
	if kills < 10 {
		t.Fatalf("only %d kills: the flows did not overlap the crashes", kills)
	}

	checkEachFlowOnce(ctx, t, s, approve, reacted)
	// Every card readable by the approver within 5 s of the homeserver taking it, however
	// often the bot's Megolm session was cut short by a kill.
	late, worst := 0, int64(0)
	for _, m := range alice.Messages() {
		if m.Type != "message" || m.Request() == nil || m.Replaces() != "" {
			continue
		}
		if m.KeyCameLater {
			late++
		}
		if wait := m.ReadableAt - m.TS; wait > worst {
			worst = wait
		}
		if wait := m.ReadableAt - m.TS; wait > 5000 {
			t.Errorf("card %s became readable %d ms after it was sent (its key came later: %v)", m.EventID, wait, m.KeyCameLater)
		}
	}
	t.Logf("cards whose key arrived after them: %d of %d; slowest to become readable: %d ms", late, len(reacted), worst)
}
