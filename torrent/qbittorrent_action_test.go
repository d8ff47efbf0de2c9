package torrent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeActions is a qBittorrent 5 Web API that holds one torrent and records the calls made.
func fakeActions(t *testing.T, held string) (*QBittorrent, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/api/v2/")
		switch path {
		case "app/webapiVersion":
			_, _ = w.Write([]byte("2.11.2"))
			return
		case "app/version":
			_, _ = w.Write([]byte("v5.0.0"))
			return
		}
		mu.Lock()
		calls = append(calls, path)
		mu.Unlock()
		if path == "torrents/info" {
			if r.URL.Query().Get("hashes") == held {
				_, _ = w.Write([]byte(`[{"hash":"` + held + `","name":"x","size":1,"state":"stoppedDL"}]`))
			} else {
				_, _ = w.Write([]byte(`[]`))
			}
			return
		}
		_ = r.ParseForm()
		if r.Form.Get("hashes") == "" {
			http.Error(w, "no hashes", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	q, err := NewQBittorrent("box", srv.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	q.apiKey = "qbt_test"
	return q, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(calls)
		calls = nil
		return out
	}
}

// A start or stop is sent before the look-up that confirms the torrent exists, so the torrent
// starts one round trip sooner; a hash qBittorrent does not have is still ErrNoSuchTorrent
// (qBittorrent answers 200 for it), and a removal still looks first.
func TestStartAndStopConfirmAfterTheCall(t *testing.T) {
	ctx := context.Background()
	const held, unknown = "aaaa", "bbbb"
	q, calls := fakeActions(t, held)
	if err := q.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	calls()
	for name, act := range map[string]func(string) error{
		"torrents/start": func(h string) error { return q.Start(ctx, h) },
		"torrents/stop":  func(h string) error { return q.Stop(ctx, h) },
	} {
		if err := act(held); err != nil {
			t.Fatalf("%s of a held torrent: %v", name, err)
		}
		if got := calls(); !slices.Equal(got, []string{name, "torrents/info"}) {
			t.Fatalf("%s of a held torrent made calls %v, want the action then the look-up", name, got)
		}
		if err := act(unknown); !errors.Is(err, ErrNoSuchTorrent) {
			t.Fatalf("%s of an unknown hash: %v, want ErrNoSuchTorrent", name, err)
		}
		calls()
	}
	if err := q.Remove(ctx, unknown, true); !errors.Is(err, ErrNoSuchTorrent) {
		t.Fatalf("remove of an unknown hash: %v, want ErrNoSuchTorrent", err)
	}
	if got := calls(); !slices.Equal(got, []string{"torrents/info"}) {
		t.Fatalf("remove of an unknown hash made calls %v, want the look-up alone", got)
	}
}
