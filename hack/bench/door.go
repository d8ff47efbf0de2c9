package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/seedgate/seedgate/test/stack"
)

// doorResult is, in door mode, how long a torrent no policy holds waited stopped: from the
// add to qBittorrent reporting it running, with the on-added hook and with polling alone.
type doorResult struct {
	hooked, polled []time.Duration
	pollInterval   time.Duration
}

// doorPollInterval is the watcher's default poll interval, what an owner without hooks has.
const doorPollInterval = time.Second

// measureDoor adds n torrents that no policy holds to a door-mode qBittorrent, once with its
// "run on torrent added" hook and once polling only, and times each until it runs.
func measureDoor(ctx context.Context, tools *stack.Tools, dir string, n int) (*doorResult, error) {
	res := &doorResult{pollInterval: doorPollInterval}
	for _, run := range []struct {
		name    string
		hooks   bool
		poll    string
		samples *[]time.Duration
	}{
		{"hook", true, "10m", &res.hooked},
		{"polling", false, doorPollInterval.String(), &res.polled},
	} {
		progress("door mode, %s: %d torrents no policy holds, add -> running", run.name, n)
		s, err := stack.Up(ctx, tools, stack.Options{Dir: filepath.Join(dir, run.name), Homeserver: "dendrite", Approvers: []string{"alice"},
			Hooks: run.hooks, PollInterval: run.poll, HoldPattern: `^held-`})
		if err != nil {
			return nil, err
		}
		samples, err := timeReleases(ctx, s, n)
		s.Down()
		if err != nil {
			return nil, fmt.Errorf("door mode, %s: %w", run.name, err)
		}
		*run.samples = samples
	}
	return res, nil
}

func timeReleases(ctx context.Context, s *stack.Stack, n int) ([]time.Duration, error) {
	if err := s.QB.SetPreferences(ctx, map[string]any{"refresh_interval": qbRefresh.Milliseconds()}); err != nil {
		return nil, err
	}
	qb, err := s.QB.Session(ctx)
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := range n {
		tf, err := stack.MakeTorrent("", fmt.Sprintf("free-%03d.bin", i), 64<<10)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		// Added as a person or a watch folder adds: starting left to qBittorrent, whose door
		// seedgate closed at start.
		if err = s.QB.Add(ctx, tf); err != nil {
			return nil, err
		}
		if err = awaitState(ctx, qb, tf.Hash, func(state string, exists bool) bool { return exists && !stack.IsStopped(state) }); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}
