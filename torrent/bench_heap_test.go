package torrent_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// syntheticMainData is a full sync/maindata answer of n torrents with the fields qBittorrent
// 4.5 sends for each (names, sizes and hashes differ; state, category, paths and tracker repeat
// as they do on a real seedbox).
func syntheticMainData(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"rid":1,"full_update":true,"server_state":{"dl_info_speed":0},"torrents":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%040x":{"added_on":%d,"amount_left":0,"auto_tmm":false,"availability":-1,"category":"linux-isos",`+
			`"completed":%d,"completion_on":%d,"content_path":"/srv/downloads/complete/debian-%06d.iso","dl_limit":0,"dlspeed":0,`+
			`"download_path":"","downloaded":%d,"downloaded_session":0,"eta":8640000,"f_l_piece_prio":false,"force_start":false,`+
			`"infohash_v1":"%040x","infohash_v2":"","last_activity":%d,"magnet_uri":"magnet:?xt=urn:btih:%040x&dn=debian-%06d.iso",`+
			`"max_ratio":-1,"max_seeding_time":-1,"name":"debian-%06d.iso","num_complete":0,"num_incomplete":0,"num_leechs":0,`+
			`"num_seeds":0,"priority":0,"progress":1,"ratio":0,"ratio_limit":-2,"save_path":"/srv/downloads/complete","seeding_time":0,`+
			`"seeding_time_limit":-2,"seen_complete":0,"seq_dl":false,"size":%d,"state":"stoppedUP","super_seeding":false,"tags":"",`+
			`"time_active":0,"total_size":%d,"tracker":"http://tracker.example.org:6969/announce","trackers_count":1,"up_limit":0,`+
			`"uploaded":0,"uploaded_session":0,"upspeed":0}`,
			i, 1700000000+i, 1<<20+i, 1700000100+i, i, 1<<20+i, i, 1700000200+i, i, i, i, 1<<20+i, 1<<20+i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// BenchmarkWatcherHeap100k reports the heap a watcher of one qBittorrent holding 100,000
// torrents keeps once its baseline is recorded (the adapter's records and the watcher's),
// per torrent and in all, against a local server answering sync/maindata as qBittorrent does.
func BenchmarkWatcherHeap100k(b *testing.B) {
	const n = 100000
	full := syntheticMainData(n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/app/webapiVersion"):
			_, _ = w.Write([]byte("2.8.19"))
		case strings.HasSuffix(r.URL.Path, "/app/version"):
			_, _ = w.Write([]byte("v4.5.2"))
		case strings.HasSuffix(r.URL.Path, "/sync/maindata") && r.URL.Query().Get("rid") == "0":
			_, _ = w.Write(full)
		case strings.HasSuffix(r.URL.Path, "/sync/maindata"):
			_, _ = w.Write([]byte(`{"rid":2}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for range b.N {
		c, err := torrent.New(torrent.Settings{Type: "qbittorrent", Name: "heap", URL: srv.URL, APIKey: "qbt_bench"})
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "watch.db"))
		if err != nil {
			b.Fatal(err)
		}
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := torrent.NewWatcher(c, st, time.Hour, func(context.Context, torrent.Event) error { return nil })
		watchCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = w.Run(watchCtx) }()
		waitBaseline(ctx, b, st, "heap")
		stop()
		<-done
		debug.FreeOSMemory()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(heap/n, "heap-B/torrent")
		b.ReportMetric(heap/(1<<20), "heap-MiB")
		runtime.KeepAlive(w)
		runtime.KeepAlive(c)
		_ = st.Close()
	}
}
