package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDoublesToAMinuteAndResets(t *testing.T) {
	var b Backoff
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if peek := b.Peek(); peek != w {
			t.Fatalf("attempt %d: Peek %s, want %s", i+1, peek, w)
		}
		if got := b.Next(); got != w {
			t.Fatalf("attempt %d: %s, want %s", i+1, got, w)
		}
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Fatalf("after a reset: %s, want 1s", got)
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("slept through a cancelled context")
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Fatal("a short sleep did not finish")
	}
}
