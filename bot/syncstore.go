package bot

import (
	"context"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// processedSyncStore keeps the /sync position at the last batch the bot has fully handled.
// mautrix saves a batch's next_batch token before it hands the batch's events to the
// handlers, so a crash in between would skip those events for good: a vote would be lost. The
// loop saves the next token only after it finished the batch before, so this store writes a
// token through only when the next one arrives. After a crash the bot fetches the unfinished
// batch again: events may be seen twice (a vote seen again is recognised by its event id),
// never lost.
type processedSyncStore struct {
	mautrix.SyncStore
	mu      sync.Mutex
	pending map[id.UserID]string // next_batch of the batch being handled, by user
}

func newProcessedSyncStore(inner mautrix.SyncStore) *processedSyncStore {
	return &processedSyncStore{SyncStore: inner, pending: map[id.UserID]string{}}
}

// SaveNextBatch records that the batch before token is about to be handled: the previous
// token's batch is therefore done and is written through.
func (s *processedSyncStore) SaveNextBatch(ctx context.Context, user id.UserID, token string) error {
	s.mu.Lock()
	done, ok := s.pending[user]
	s.pending[user] = token
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.SyncStore.SaveNextBatch(ctx, user, done)
}
