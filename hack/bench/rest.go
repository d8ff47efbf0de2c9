package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// restResult is seedgate at rest with watched torrents and pending requests, and how soon it
// then sees one more torrent.
type restResult struct {
	watched, pending int
	rssMiB           float64
	heapMiB          float64 // Go's HeapAlloc when RSS was read: live objects and garbage not yet swept
	idleCPU          time.Duration
	window           time.Duration
	polls            float64 // the watcher's polls over the window
	pollBytes        float64 // bytes those polls read
	detect           time.Duration
	settled          time.Duration // from the end of the burst until a poll read next to nothing
	unsettled        bool          // no such poll came within settleLimit: the window began anyway
	failed           error         // the measurement did not finish; nothing else is set
}

// quietPoll is at most what a poll reads when nothing changed: qBittorrent answers an idle
// sync/maindata with about ten bytes whatever it holds, so anything near a kilobyte is the
// burst still settling (checks finishing, stops applied), which is not rest.
const quietPoll = 1024

// settleLimit bounds the wait for a quiet poll; seedgate polls 100,000 torrents about once a
// minute.
const settleLimit = 4 * time.Minute

// waitQuiet waits until one of the watcher's polls reads at most quietPoll bytes, from
// seedgate's own metrics (a probe of its own would load the client too), and reports how long
// that took; false when settleLimit passed first.
func waitQuiet(ctx context.Context, metricsURL string) (time.Duration, bool, error) {
	start := time.Now()
	polls, bytes, err := pollCounters(ctx, metricsURL)
	if err != nil {
		return 0, false, err
	}
	for time.Since(start) < settleLimit {
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		p, b, err := pollCounters(ctx, metricsURL)
		if err != nil {
			return 0, false, err
		}
		if p == polls+1 && b-bytes <= quietPoll {
			return time.Since(start), true, nil
		}
		polls, bytes = p, b
	}
	return time.Since(start), false, nil
}

// measureRest waits for the client to settle after the burst, leaves the stack idle for
// window and reads seedgate's CPU, memory and the
// watcher's polls (from its metrics); then it adds one torrent, as the client is set to add it
// (its hook fires), and times the add until seedgate's "Torrent event" for it.
func measureRest(ctx context.Context, s *stack.Stack, qb *stack.QBSession, watched, pending int, window time.Duration) (*restResult, error) {
	res := &restResult{watched: watched, pending: pending, window: window}
	var quiet bool
	var err error
	if res.settled, quiet, err = waitQuiet(ctx, s.MetricsURL); err != nil {
		return nil, err
	}
	res.unsettled = !quiet
	proc := s.Seedgate.Proc()
	cpu0, err := proc.CPUTime()
	if err != nil {
		return nil, err
	}
	polls0, bytes0, err := pollCounters(ctx, s.MetricsURL)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(window):
	}
	cpu1, err := proc.CPUTime()
	if err != nil {
		return nil, err
	}
	polls1, bytes1, err := pollCounters(ctx, s.MetricsURL)
	if err != nil {
		return nil, err
	}
	res.idleCPU, res.polls, res.pollBytes = cpu1-cpu0, polls1-polls0, bytes1-bytes0
	if res.rssMiB, err = rssMiB(proc.Pid()); err != nil {
		return nil, err
	}
	if res.heapMiB, err = saveHeapProfile(ctx, s.MetricsURL, filepath.Join(s.Seedgate.Dir, fmt.Sprintf("heap-%d.txt", watched))); err != nil {
		return nil, err
	}

	tf, err := stack.MakeTorrent("", fmt.Sprintf("rest-%d.bin", watched), 16<<10)
	if err != nil {
		return nil, err
	}
	mark := len(proc.Lines())
	start := time.Now()
	if err = qb.AddBatchAsConfigured(ctx, []*stack.TorrentFile{tf}); err != nil {
		return nil, err
	}
	_, line, err := proc.WaitLine(ctx, mark, func(line string) bool {
		return strings.Contains(line, `"Torrent event"`) && strings.Contains(line, tf.Hash)
	})
	if err != nil {
		return nil, fmt.Errorf("seedgate never saw the torrent added at rest: %w", err)
	}
	var entry struct {
		Time time.Time `json:"time"`
	}
	if err = json.Unmarshal([]byte(line), &entry); err != nil {
		return nil, err
	}
	res.detect = entry.Time.Sub(start)
	return res, nil
}

// pollCounters reads seedgate_watcher_polls_total and seedgate_watcher_poll_bytes_total,
// summed over clients, from the metrics endpoint.
func pollCounters(ctx context.Context, metricsURL string) (polls, bytes float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		name, rest, _ := strings.Cut(lines.Text(), "{")
		_, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		case "seedgate_watcher_polls_total":
			polls += v
		case "seedgate_watcher_poll_bytes_total":
			bytes += v
		}
	}
	return polls, bytes, lines.Err()
}

// rssMiB reads a process's resident memory from /proc.
func rssMiB(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// saveHeapProfile writes seedgate's heap profile (text form, readable by go tool pprof) to
// path, kept with the run's logs, and returns the HeapAlloc the runtime reports in it.
func saveHeapProfile(ctx context.Context, metricsURL, path string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/debug/pprof/heap?debug=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("heap profile: %s", resp.Status)
	}
	if err = os.WriteFile(path, raw, 0o600); err != nil {
		return 0, err
	}
	return heapAlloc(raw)
}

// heapAlloc reads "# HeapAlloc = N" from a text heap profile, in MiB.
func heapAlloc(profile []byte) (float64, error) {
	for _, line := range strings.Split(string(profile), "\n") {
		if rest, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(rest), 10, 64)
			return float64(n) / (1 << 20), err
		}
	}
	return 0, fmt.Errorf("heap profile has no HeapAlloc line")
}
