package bot

import (
	"context"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// TestSyncPositionTrailsHandledBatches: the stored /sync position is the last batch whose
// events were all handled, so a crash while handling one fetches that batch again.
func TestSyncPositionTrailsHandledBatches(t *testing.T) {
	ctx := context.Background()
	inner := mautrix.NewMemorySyncStore()
	const bot = id.UserID("@bot:hs")
	_ = inner.SaveNextBatch(ctx, bot, "s0") // where the previous run had got to
	store := newProcessedSyncStore(inner)
	stored := func() string {
		t.Helper()
		tok, err := inner.LoadNextBatch(ctx, bot)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if tok, _ := store.LoadNextBatch(ctx, bot); tok != "s0" {
		t.Fatalf("resumes at %q, want s0", tok)
	}
	_ = store.SaveNextBatch(ctx, bot, "s1") // batch s0..s1 about to be handled
	if got := stored(); got != "s0" {
		t.Fatalf("stored %q while s0..s1 is being handled, want s0", got)
	}
	_ = store.SaveNextBatch(ctx, bot, "s2") // s0..s1 done, s1..s2 next
	if got := stored(); got != "s1" {
		t.Fatalf("stored %q after s0..s1 was handled, want s1", got)
	}
}
