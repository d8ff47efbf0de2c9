package main

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"path/filepath"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// doorResult is, in door mode, how long a torrent no policy holds waited stopped: from the
// add to qBittorrent reporting it running, with the on-added hook and with polling alone.
type doorResult struct {
	hooked, polled             []time.Duration
	hookedListed, polledListed []time.Duration // add -> qBittorrent lists it at all: the floor
	pollInterval               time.Duration
}

// doorPollInterval is the watcher's default poll interval, what an owner without hooks has.
const doorPollInterval = 500 * time.Millisecond

// measureDoor adds n torrents that no policy holds to a door-mode qBittorrent, once with its
// "run on torrent added" hook and once polling only, and times each until it runs.
func measureDoor(ctx context.Context, tools *stack.Tools, dir string, n int) (*doorResult, error) {
	res := &doorResult{pollInterval: doorPollInterval}
	for _, run := range []struct {
		name    string
		hooks   bool
		poll    string
		samples *[]time.Duration
		listed  *[]time.Duration
	}{
		{"hook", true, "10m", &res.hooked, &res.hookedListed},
		{"polling", false, doorPollInterval.String(), &res.polled, &res.polledListed},
	} {
		progress("door mode, %s: %d torrents no policy holds, add -> running", run.name, n)
		s, err := stack.Up(ctx, tools, stack.Options{Dir: filepath.Join(dir, run.name), Homeserver: "dendrite", Approvers: []string{"alice"},
			Hooks: run.hooks, PollInterval: run.poll, HoldPattern: `^held-`})
		if err != nil {
			return nil, err
		}
		samples, listed, err := timeReleases(ctx, s, n)
		s.Down()
		if err != nil {
			return nil, fmt.Errorf("door mode, %s: %w", run.name, err)
		}
		*run.samples, *run.listed = samples, listed
	}
	return res, nil
}

// timeReleases adds n torrents and times each from the add to qBittorrent listing it (what no
// gate can beat) and to qBittorrent reporting it running. The next add waits a random part of
// a second, so adds fall anywhere in the watcher's polling cycle, as a person's do.
func timeReleases(ctx context.Context, s *stack.Stack, n int) (running, listed []time.Duration, err error) {
	if err = s.QB.SetPreferences(ctx, map[string]any{"refresh_interval": qbRefresh.Milliseconds()}); err != nil {
		return nil, nil, err
	}
	qb, err := s.QB.Session(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range n {
		tf, err := stack.MakeTorrent("", fmt.Sprintf("free-%03d.bin", i), 64<<10)
		if err != nil {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(time.Duration(mathrand.Int64N(int64(time.Second)))):
		}
		// Added as a person or a watch folder adds: starting left to qBittorrent, whose door
		// seedgate closed at start. The session logged in before the clock starts.
		start := time.Now()
		if err = qb.Add(ctx, tf); err != nil {
			return nil, nil, err
		}
		var seen time.Duration
		for {
			states, err := qb.States(ctx, tf.Hash)
			if err != nil {
				return nil, nil, err
			}
			state, exists := states[tf.Hash]
			if exists && seen == 0 {
				seen = time.Since(start)
			}
			if exists && stack.IsRunning(state) {
				break
			}
			select {
			case <-ctx.Done():
				return nil, nil, fmt.Errorf("%s never ran (last state %q): %w", tf.Name, state, ctx.Err())
			case <-time.After(statePoll):
			}
		}
		running, listed = append(running, time.Since(start)), append(listed, seen)
	}
	return running, listed, nil
}
