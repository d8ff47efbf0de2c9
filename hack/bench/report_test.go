package main

import (
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
