package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestUnknownWordsAreRefusedOnRead: a request or vote whose state or decision is no word this
// seedgate knows (written by a newer one, or by hand) fails to load, naming the word, instead
// of loading as an empty or default state that code might compare against.
func TestUnknownWordsAreRefusedOnRead(t *testing.T) {
	eachBackend(t, testUnknownWords)
}

func testUnknownWords(t *testing.T, st *Store, _ func() *Store) {
	ctx := context.Background()
	now := time.Now()
	if err := st.InsertRequest(ctx, &Request{ID: "r1", State: RequestPending, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertVote(ctx, &Vote{RequestID: "r1", Person: "alice", Decision: DecisionApprove, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetRequest(ctx, "r1"); err != nil || got.State != RequestPending || got.Verdict != "" {
		t.Fatalf("known words: %+v, %v", got, err)
	}
	if _, err := st.db.Exec(ctx, `UPDATE requests SET state='approved-ish'`); err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetRequest(ctx, "r1"); err == nil || !strings.Contains(err.Error(), `unknown request state "approved-ish"`) {
		t.Fatalf("request in an unknown state read as %+v, err %v", got, err)
	}
	if _, err := st.db.Exec(ctx, `UPDATE votes SET decision='abstain'`); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ListVotes(ctx, "r1"); err == nil || !strings.Contains(err.Error(), `unknown vote decision "abstain"`) {
		t.Fatalf("vote with an unknown decision read as %+v, err %v", got, err)
	}
}
