package bot

import (
	"sync"
	"time"

	"maunium.net/go/mautrix/id"
)

// mentionWindow is the span over which matrix.mention_limit counts cards per approver.
const mentionWindow = 10 * time.Minute

// mentionLimiter guards against push fatigue (CISA's "MFA fatigue" attacks): past the limit, cards
// still reach the room but stop mentioning, so they stop ringing the approver's phone.
type mentionLimiter struct {
	limit int
	mu    sync.Mutex
	sent  map[id.UserID][]time.Time
}

func newMentionLimiter(limit int) *mentionLimiter {
	return &mentionLimiter{limit: limit, sent: map[id.UserID][]time.Time{}}
}

// take returns which users may be mentioned now (recording it) and which are over the limit.
func (l *mentionLimiter) take(users []id.UserID, now time.Time) (mention, muted []id.UserID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range users {
		recent := l.sent[u][:0]
		for _, at := range l.sent[u] {
			if now.Sub(at) < mentionWindow {
				recent = append(recent, at)
			}
		}
		if len(recent) >= l.limit {
			l.sent[u] = recent
			muted = append(muted, u)
			continue
		}
		l.sent[u] = append(recent, now)
		mention = append(mention, u)
	}
	return mention, muted
}
