package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/store"
)

// A transaction the homeserver was told it delivered is handled even when seedgate dies right
// after the acknowledgement, one delivered twice is handled once, and a new one under an id
// the homeserver used before is handled too. A transaction without the hs_token is refused.
func TestTransactionsSurviveACrashAfterTheirAcknowledgement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	as := appservice.Create()
	as.Registration = &appservice.Registration{ServerToken: "hs-token-0123456789abcdef0123456789"}
	put := func(in *transactionInbox, token, txnID, body string) int {
		req := httptest.NewRequest(http.MethodPut, "/_matrix/app/v1/transactions/"+txnID, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		in.ServeHTTP(rec, req)
		return rec.Code
	}
	vote := `{"events":[{"type":"m.reaction","event_id":"$r1","room_id":"!cards:hs","sender":"@alice:hs","origin_server_ts":1,` +
		`"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$card","key":"✅"}}}]}`

	first := newTransactionInbox(st, as)
	if code := put(first, "wrong", "t1", vote); code == http.StatusOK {
		t.Fatal("a transaction without the hs_token was accepted")
	}
	for range 2 { // delivered twice: the acknowledgement was lost on the way
		if code := put(first, as.Registration.ServerToken, "t1", vote); code != http.StatusOK {
			t.Fatalf("transaction refused: %d", code)
		}
	}
	// seedgate dies here, before the pump ran. After the restart the kept transaction is handled.
	st.Close()
	if st, err = store.OpenSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	syncer := mautrix.NewDefaultSyncer()
	handled := make(chan string, 4)
	syncer.OnEventType(event.EventReaction, func(_ context.Context, evt *event.Event) { handled <- evt.ID.String() })
	again := newTransactionInbox(st, as)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		again.run(runCtx, transactionSink{state: mautrix.NewMemoryStateStore(), syncer: syncer}, func(context.Context) {})
	}()
	select {
	case id := <-handled:
		if id != "$r1" {
			t.Fatalf("handled %s", id)
		}
	case <-ctx.Done():
		t.Fatal("the kept transaction was never handled after the restart")
	}
	// A later delivery of the same transaction is acknowledged and not handled again.
	if code := put(again, as.Registration.ServerToken, "t1", vote); code != http.StatusOK {
		t.Fatalf("redelivery refused: %d", code)
	}
	if code := put(again, as.Registration.ServerToken, "t2", `{"events":[]}`); code != http.StatusOK {
		t.Fatalf("second transaction refused: %d", code)
	}
	// A homeserver that restarted reuses ids for new events (Synapse does): same id, other
	// content, handled.
	reused := strings.Replace(vote, "$r1", "$r2", 1)
	if code := put(again, as.Registration.ServerToken, "t1", reused); code != http.StatusOK {
		t.Fatalf("reused id refused: %d", code)
	}
	select {
	case id := <-handled:
		if id != "$r2" {
			t.Fatalf("handled %s, want the new event under the reused id", id)
		}
	case <-ctx.Done():
		t.Fatal("a new transaction under a reused id was dropped as a redelivery")
	}
	pendingGone := func() bool {
		p, err := st.PendingAppserviceTxns(ctx, 10)
		return err == nil && len(p) == 0
	}
	for !pendingGone() {
		select {
		case <-ctx.Done():
			t.Fatal("t2 never handled")
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	<-done
	select {
	case id := <-handled:
		t.Fatalf("%s handled twice", id)
	default:
	}
}
