package torrent_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/test/stack"
	"github.com/seedgate/seedgate/torrent"
)

// benchTorrents is how many torrents the poll-cost benchmark loads into qBittorrent
// (SEEDGATE_BENCH_TORRENTS, default 10,000).
func benchTorrents() int {
	if n, err := strconv.Atoi(os.Getenv("SEEDGATE_BENCH_TORRENTS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// loadedQBittorrent starts a real qBittorrent holding n stopped, trackerless torrents.
func loadedQBittorrent(b *testing.B, ctx context.Context, n int) *stack.QBittorrent {
	b.Helper()
	qb, err := stack.StartQBittorrent(ctx, &stack.Tools{QBittorrent: stack.RequireProgram(b, "qbittorrent-nox")}, filepath.Join(b.TempDir(), "qb"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(qb.Stop)
	session, err := qb.Session(ctx)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 250
	for added := 0; added < n; added += batch {
		var files []*stack.TorrentFile
		for i := added; i < min(added+batch, n); i++ {
			tf, err := stack.MakeTorrent("", fmt.Sprintf("bench-%05d.bin", i), 16<<10)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, tf)
		}
		if err = session.AddBatch(ctx, files, true); err != nil {
			b.Fatal(err)
		}
	}
	c, _ := torrent.NewQBittorrent("count", qb.URL, qb.Username, qb.Password)
	if err = c.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	for {
		ch, err := c.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if ch.Full && len(ch.Torrents) >= n {
			break
		}
		c, _ = torrent.NewQBittorrent("count", qb.URL, qb.Username, qb.Password) // a fresh full listing
		if err = c.Connect(ctx); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ctx.Done():
			b.Fatalf("qBittorrent never listed %d torrents", n)
		case <-time.After(500 * time.Millisecond):
		}
	}
	return qb
}

// BenchmarkQBittorrentIdlePoll compares, against a real qBittorrent holding 10,000 torrents,
// what one idle poll costs seedgate's watcher (sync/maindata by rid) and a naive full
// torrents/info listing: bytes read, qBittorrent's CPU, and the client side's time. It also
// reports the watcher's heap with every torrent known.
func BenchmarkQBittorrentIdlePoll(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	n := benchTorrents()
	qb := loadedQBittorrent(b, ctx, n)

	b.Run("watcher", func(b *testing.B) {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c, _ := torrent.NewQBittorrent("bench", qb.URL, qb.Username, qb.Password)
		st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "watch.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		w := torrent.NewWatcher(c, st, time.Hour, func(context.Context, torrent.Event) error { return nil })
		watchCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = w.Run(watchCtx) }()
		waitBaseline(ctx, b, st, "bench")
		stop()
		<-done
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		// The watcher's state and the adapter's mirror of sync/maindata, both kept in memory.
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)

		var bytes int
		cpu0, _ := qb.CPUTime()
		b.ResetTimer()
		for range b.N {
			ch, err := c.Poll(ctx)
			if err != nil {
				b.Fatal(err)
			}
			bytes += ch.Bytes
		}
		b.StopTimer()
		cpu1, _ := qb.CPUTime()
		b.ReportMetric(float64(bytes)/float64(b.N), "bytes/poll")
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "qbt-cpu-µs/poll")
		b.ReportMetric(heap/(1<<20), "watcher-heap-MiB")
		runtime.KeepAlive(w)
	})
	b.Run("naive-torrents-info", func(b *testing.B) {
		session, err := qb.Session(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var bytes int
		cpu0, _ := qb.CPUTime()
		b.ResetTimer()
		for range b.N {
			raw, err := session.Get(ctx, "torrents/info")
			if err != nil {
				b.Fatal(err)
			}
			bytes += len(raw)
		}
		b.StopTimer()
		cpu1, _ := qb.CPUTime()
		b.ReportMetric(float64(bytes)/float64(b.N), "bytes/poll")
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "qbt-cpu-µs/poll")
	})
}

// BenchmarkExposureWindow measures how long a new torrent runs, and how much it downloads
// from a fast local seeder, before seedgate's hold stops it: through qBittorrent's "on added"
// hook, and through polling alone at the default one-second interval.
func BenchmarkExposureWindow(b *testing.B) {
	stack.RequireSeeder(b)
	for _, mode := range []string{"hook", "poll-1s"} {
		b.Run(mode, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			qb, err := stack.StartQBittorrent(ctx, &stack.Tools{QBittorrent: stack.RequireProgram(b, "qbittorrent-nox")}, filepath.Join(b.TempDir(), "qb"))
			if err != nil {
				b.Fatal(err)
			}
			defer qb.Stop()
			c, _ := torrent.NewQBittorrent("exposure", qb.URL, qb.Username, qb.Password)
			if err = c.Connect(ctx); err != nil {
				b.Fatal(err)
			}
			var mu sync.Mutex
			stoppedAt := map[string]chan time.Time{}
			hold := func(ctx context.Context, evt torrent.Event) error {
				if evt.Kind != torrent.EventAdded {
					return nil
				}
				_ = c.Stop(ctx, evt.Torrent.Hash)
				mu.Lock()
				if ch := stoppedAt[evt.Torrent.Hash]; ch != nil {
					ch <- time.Now()
				}
				mu.Unlock()
				return nil
			}
			interval := time.Second
			target := startHookTargetLater(b)
			target.events.onEvent = hold
			if mode == "hook" {
				interval = 10 * time.Minute
				script := target.wrapper(b, hookProgram(b), "exposure", "added")
				if err = qb.SetPreferences(ctx, map[string]any{"autorun_on_torrent_added_enabled": true, "autorun_on_torrent_added_program": script + " --hash %I"}); err != nil {
					b.Fatal(err)
				}
			}
			target.interval = interval
			target.attach(b, ctx, c)

			var totalTime time.Duration
			var totalBytes float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				seedDir := b.TempDir()
				tf, err := stack.MakeTorrent(seedDir, fmt.Sprintf("exposed-%d.bin", i), 64<<20)
				if err != nil {
					b.Fatal(err)
				}
				seeder, err := stack.StartSeeder(ctx, tf, seedDir, b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan time.Time, 1)
				mu.Lock()
				stoppedAt[tf.Hash] = done
				mu.Unlock()
				b.StartTimer()
				start := time.Now()
				if err = c.AddFile(ctx, "exposed.torrent", tf.Metainfo, torrent.AddOptions{SavePath: qb.DownloadDir}); err != nil {
					b.Fatal(err)
				}
				_ = qb.AddPeers(ctx, tf.Hash, seeder.Addr())
				var stopped time.Time
				select {
				case stopped = <-done:
				case <-ctx.Done():
					b.Fatal("never held")
				}
				b.StopTimer()
				totalTime += stopped.Sub(start)
				got := waitTorrent(ctx, b, c, tf.Hash, "reported stopped", func(t *torrent.Torrent) bool { return t.State == torrent.StateStopped })
				totalBytes += got.Progress * float64(got.Size)
				seeder.Stop()
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(totalTime.Milliseconds())/float64(b.N), "ms-until-stopped")
			b.ReportMetric(totalBytes/float64(b.N)/(1<<20), "MiB-downloaded")
		})
	}
}
