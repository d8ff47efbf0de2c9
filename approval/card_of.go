package approval

import (
	"context"
	"errors"
	"fmt"

	"github.com/seedgate/seedgate/store"
)

// ErrNoCard is returned by CardOf for a request that ended before any card showed it.
var ErrNoCard = errors.New("no card shows the request")

// CardOf returns the request once the card showing it is recorded, waiting until ctx ends.
// Couriers are handed a card as soon as the homeserver has it, a moment before seedgate
// records it (so a crash between the two still reaches them), and what follows a courier's
// send, such as the note under the card, waits here rather than finding no card.
func (s *Service) CardOf(ctx context.Context, requestID string) (*store.Request, error) {
	for {
		changed := s.changes.wait() // before reading, so a card recorded meanwhile wakes us
		req, err := s.store.GetRequest(ctx, requestID)
		if err != nil {
			return nil, err
		}
		if req.CardEvent != "" {
			return req, nil
		}
		if req.State != store.RequestPending {
			return nil, fmt.Errorf("approval: request %s became %s first: %w", requestID, req.State, ErrNoCard)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("approval: waiting for the card of request %s: %w", requestID, ctx.Err())
		}
	}
}
