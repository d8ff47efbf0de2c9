package torrent

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/seedgate/seedgate/store"
)

// fakeMainData serves the given sync/maindata answers in turn (the last one again after that).
func fakeMainData(t *testing.T, answers ...string) *QBittorrent {
	t.Helper()
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/app/webapiVersion"):
			_, _ = w.Write([]byte("2.11.2"))
			return
		case strings.HasSuffix(r.URL.Path, "/app/version"):
			_, _ = w.Write([]byte("v5.0.0"))
			return
		case !strings.HasSuffix(r.URL.Path, "/sync/maindata"):
			http.NotFound(w, r)
			return
		}
		i := min(int(served.Add(1))-1, len(answers)-1)
		_, _ = w.Write([]byte(answers[i]))
	}))
	t.Cleanup(srv.Close)
	q, err := NewQBittorrent("box", srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	q.apiKey = "qbt_test" // no login
	return q
}

// TestMainDataDecodesAsItStreams: partial records keep the fields they do not name, a full
// update replaces what was held (fields in any order), hashes are lowercased, bytes counted,
// and whatever else the answer holds is skipped.
func TestMainDataDecodesAsItStreams(t *testing.T) {
	ctx := context.Background()
	first := `{"rid":1,"full_update":true,"server_state":{"dl_info_speed":0},"categories":{"isos":{"name":"isos","savePath":""}},` +
		`"torrents":{"AAAA":{"name":"debian.iso","size":100,"progress":0.5,"state":"downloading","category":"isos","tracker":"http://t/a","save_path":"/srv"},` +
		`"bbbb":{"name":"other","size":5,"progress":1,"state":"stoppedUP"}},"trackers":{"http://t/a":["aaaa"]}}`
	partial := `{"rid":2,"torrents":{"aaaa":{"progress":1,"state":"uploading"}},"torrents_removed":["BBBB"]}`
	fullAgain := `{"torrents":{"cccc":{"name":"new","size":7,"state":"stoppedDL"}},"rid":3,"full_update":true}`
	q := fakeMainData(t, first, partial, fullAgain)

	ch, err := q.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Full || len(ch.Torrents) != 2 || ch.Bytes != len(first) {
		t.Fatalf("first poll: full %v, %d torrents, %d bytes; want a full update of 2 in %d bytes", ch.Full, len(ch.Torrents), ch.Bytes, len(first))
	}
	ch, err = q.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Torrents) != 1 || len(ch.Removed) != 1 || ch.Removed[0] != "bbbb" {
		t.Fatalf("partial poll: %+v", ch)
	}
	got := ch.Torrents[0]
	if got.Hash != "aaaa" || got.Name != "debian.iso" || got.Size != 100 || got.Progress != 1 || got.State != StateSeeding ||
		got.Category != "isos" || got.Tracker != "http://t/a" || got.SavePath != "/srv" {
		t.Fatalf("a partial record lost what it did not name: %+v", got)
	}
	ch, err = q.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Full || len(ch.Torrents) != 1 || ch.Torrents[0].Hash != "cccc" || len(q.torrents) != 1 || q.rid != 3 {
		t.Fatalf("a full update with full_update last did not replace the records: %+v, held %d, rid %d", ch, len(q.torrents), q.rid)
	}
}

// TestMalformedMainDataChangesNothing: an answer that breaks off, or is not what qBittorrent
// sends, is refused whole: no record changes and the rid stays, so the next poll asks again.
func TestMalformedMainDataChangesNothing(t *testing.T) {
	ctx := context.Background()
	first := `{"rid":1,"full_update":true,"torrents":{"aaaa":{"name":"a","size":1,"progress":0,"state":"stoppedDL"}}}`
	for name, bad := range map[string]string{
		"cut off":        `{"rid":2,"torrents":{"aaaa":{"progress":1,"state":"uploading"}},"torrents":{"bbbb":{"na`,
		"wrong type":     `{"rid":2,"torrents":{"aaaa":{"progress":1}, "bbbb":{"size":"big"}}}`,
		"torrents array": `{"rid":2,"torrents":[{"progress":1}]}`,
		"trailing data":  `{"rid":2,"torrents":{"aaaa":{"progress":1}}} {}`,
		"not an object":  `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			q := fakeMainData(t, first, bad)
			if _, err := q.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := q.Poll(ctx)
			if err == nil || !strings.Contains(err.Error(), "sync/maindata: malformed") {
				t.Fatalf("error %v, want it to name the malformed sync/maindata", err)
			}
			if held := q.torrents["aaaa"].expand(); q.rid != 1 || len(q.torrents) != 1 || held.Progress != 0 || held.State != "stoppedDL" {
				t.Fatalf("a refused answer changed the state: rid %d, %d records, %+v", q.rid, len(q.torrents), held)
			}
		})
	}
}

// TestRecordsShareRepeatedStrings: many torrents in one save path, category and state hold
// one copy of each, which is most of what 100,000 records would otherwise repeat.
func TestRecordsShareRepeatedStrings(t *testing.T) {
	q := fakeMainData(t, `{"rid":1,"full_update":true,"torrents":{`+
		`"aaaa":{"name":"a","state":"stoppedUP","save_path":"/srv/downloads/complete","category":"linux-isos"},`+
		`"bbbb":{"name":"b","state":"stoppedUP","save_path":"/srv/downloads/complete","category":"linux-isos"}}}`)
	if _, err := q.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, b := q.torrents["aaaa"].expand(), q.torrents["bbbb"].expand()
	if a.SavePath != b.SavePath || unsafeData(a.SavePath) != unsafeData(b.SavePath) || unsafeData(a.Category) != unsafeData(b.Category) {
		t.Fatal("two records keep their own copies of the same save path and category")
	}
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

// TestBigFirstSyncIsTheBaseline: a first sync large enough to have its memory released at once
// is still recorded as the baseline there and then, so a torrent added before the next poll is
// an event (it would otherwise be taken silently into the baseline, and never held).
func TestBigFirstSyncIsTheBaseline(t *testing.T) {
	var first strings.Builder
	first.WriteString(`{"rid":1,"full_update":true,"torrents":{`)
	for i := 0; first.Len() <= bigSync; i++ {
		if i > 0 {
			first.WriteByte(',')
		}
		fmt.Fprintf(&first, `"%040x":{"name":"old-%d","size":1,"progress":1,"state":"stoppedUP","save_path":"/srv/%s"}`, i, i, strings.Repeat("x", 200))
	}
	first.WriteString(`}}`)
	added := `{"rid":2,"torrents":{"` + strings.Repeat("f", 40) + `":{"name":"new","size":1,"progress":0,"state":"stoppedDL"}}}`
	q := fakeMainData(t, first.String(), added, `{"rid":2}`)
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	events := make(chan Event, 1)
	w := NewWatcher(q, st, time.Millisecond, func(_ context.Context, evt Event) error {
		events <- evt
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	select {
	case evt := <-events:
		if evt.Kind != EventAdded || evt.Torrent.Name != "new" {
			t.Fatalf("first event %s %s, want added new", evt.Kind, evt.Torrent.Name)
		}
	case <-ctx.Done():
		t.Fatal("the torrent added after a big first sync made no event: the baseline swallowed it")
	}
}
