// Package backoff is the one retry delay seedgate's long-running loops use when what they
// talk to is away (the homeserver's /sync, a torrent client, signal-cli's event stream): one
// second, doubling each failure up to a minute, and back to one second after a success.
package backoff

import (
	"context"
	"time"
)

const (
	first = time.Second
	limit = time.Minute
)

// Backoff is one loop's retry delay. The zero value is ready to use.
type Backoff struct{ next time.Duration }

// Next returns the delay before the next attempt and doubles the one after, up to a minute.
func (b *Backoff) Next() time.Duration {
	d := max(b.next, first)
	b.next = min(d*2, limit)
	return d
}

// Peek returns what Next will return, without moving on.
func (b *Backoff) Peek() time.Duration { return max(b.next, first) }

// Reset starts over from one second, after a success.
func (b *Backoff) Reset() { b.next = 0 }

// Wait sleeps for Next, and reports false when ctx ended first.
func (b *Backoff) Wait(ctx context.Context) bool {
	return Sleep(ctx, b.Next())
}

// Sleep waits d, and reports false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
