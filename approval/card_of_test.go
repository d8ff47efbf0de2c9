package approval

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
)

// A courier may have sent a card before seedgate recorded it; what follows the send waits for
// the record instead of finding no card (which once dropped the room's "Sent to" note).
func TestCardOfWaitsForTheCardToBeRecorded(t *testing.T) {
	h := newHarness(t, 1)
	req := h.hold(t, "aa")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.svc.CardOf(cancelled, req.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("no card recorded yet, so CardOf must wait; got %v", err)
	}

	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	type answer struct {
		req *store.Request
		err error
	}
	done := make(chan answer, 1)
	h.svc.changes.notify() // so that the feed has a waiter only once the goroutine waits
	go func() {
		r, err := h.svc.CardOf(ctx, req.ID)
		done <- answer{r, err}
	}()
	waitForWaiter(ctx, t, h.svc)
	h.svc.tick(context.Background())
	got := <-done
	if got.err != nil || got.req.CardEvent != "$card-"+req.ID || got.req.CardRoom != "!room" {
		t.Fatalf("CardOf after the card was recorded: %+v, %v", got.req, got.err)
	}

	// A request decided before any card showed it will never get one.
	denied := h.hold(t, "bb")
	h.vote(t, denied, "@alice:hs", store.DecisionDeny)
	if _, err := h.svc.CardOf(ctx, denied.ID); !errors.Is(err, ErrNoCard) {
		t.Fatalf("CardOf for a request denied before its card: %v, want ErrNoCard", err)
	}
	if _, err := h.svc.CardOf(ctx, "no-such-request"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CardOf for an unknown request: %v, want ErrNotFound", err)
	}
}

// waitForWaiter returns once someone waits on the service's change feed.
func waitForWaiter(ctx context.Context, t *testing.T, s *Service) {
	t.Helper()
	for {
		s.changes.mu.Lock()
		waiting := s.changes.ch != nil
		s.changes.mu.Unlock()
		if waiting {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("nobody waited for a change")
		case <-time.After(time.Millisecond):
		}
	}
}
