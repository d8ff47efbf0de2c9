package main

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// 528 ms of CPU over a minute is 528 ms per minute (0.88% of one core), not the "-85ms" the
// integer product wrapped to; shorter and longer windows scale.
func TestPerMinuteDoesNotOverflow(t *testing.T) {
	for _, tc := range []struct{ cpu, window, want time.Duration }{
		{528 * time.Millisecond, time.Minute, 528 * time.Millisecond},
		{10 * time.Second, 2 * time.Minute, 5 * time.Second},
		{60 * time.Millisecond, 30 * time.Second, 120 * time.Millisecond},
	} {
		if got := perMinute(tc.cpu, tc.window).Round(time.Millisecond); got != tc.want {
			t.Errorf("perMinute(%s, %s) = %s, want %s", tc.cpu, tc.window, got, tc.want)
		}
	}
}

// TestRestTableKeepsAFailedRow: a size whose run failed is a row saying why, between the
// others, and a pipe in the error does not break the table.
func TestRestTableKeepsAFailedRow(t *testing.T) {
	table := restSection([]*restResult{
		{watched: 1000, pending: 1000, window: time.Minute, polls: 2, pollBytes: 20},
		{watched: 100000, pending: 1000, failed: errors.New("torrents/add: connection reset | by peer")},
	}, "500ms")
	if !strings.Contains(table, "| 100000 | 1000 | failed: torrents/add: connection reset / by peer |") {
		t.Fatalf("the failed row is missing or malformed:\n%s", table)
	}
	if !strings.Contains(table, "| 1000 | 1000 | 0s | 1m0s |") || !strings.Contains(table, "| 10 |") {
		t.Fatalf("the measured row is missing:\n%s", table)
	}
}

// The live heap comes from the runtime's own line in the text heap profile; a profile
// without it is an error, not a zero in the table.
func TestHeapAllocReadsTheProfile(t *testing.T) {
	got, err := heapAlloc([]byte("heap profile: 1: 2 [3: 4] @ heap/524288\n\n# runtime.MemStats\n# Alloc = 1\n# HeapAlloc = 25165824\n# Sys = 9\n"))
	if err != nil || got != 24 {
		t.Fatalf("heapAlloc = %v, %v; want 24 MiB", got, err)
	}
	if _, err = heapAlloc([]byte("heap profile: 1: 2 [3: 4] @ heap/524288\n")); err == nil {
		t.Fatal("a profile without HeapAlloc gave no error")
	}
}

// A batch whose connection was reset is added again; an answer qBittorrent gave is not retried.
func TestAddRetriesOnlyAFailedConnection(t *testing.T) {
	reset := &url.Error{Op: "Post", URL: "http://127.0.0.1/api/v2/torrents/add", Err: syscall.ECONNRESET}
	calls := 0
	err := addRetrying(context.Background(), func() error {
		if calls++; calls == 1 {
			return reset
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("after a reset: err %v after %d calls, want success on the second", err, calls)
	}
	calls = 0
	refused := errors.New("qbittorrent add batch: HTTP 415")
	if err = addRetrying(context.Background(), func() error { calls++; return refused }); !errors.Is(err, refused) || calls != 1 {
		t.Fatalf("an HTTP answer: err %v after %d calls, want it returned at once", err, calls)
	}
}
