package bot

import (
	"crypto/subtle"
	"sync"
	"time"

	"maunium.net/go/mautrix/id"

	sgcrypto "github.com/seedgate/seedgate/crypto"
)

// enrollNonceTTL is how long a nonce from `!sg enroll` may be answered.
const enrollNonceTTL = 10 * time.Minute

// enrollNonces are the nonces the bot gave for enrolment, one open per user. They live in
// memory: after a restart the person asks again, which costs a message and weakens nothing.
type enrollNonces struct {
	mu   sync.Mutex
	open map[id.UserID]enrollNonce
	now  func() time.Time
}

type enrollNonce struct {
	value   string
	expires time.Time
}

// issue gives user a fresh nonce, replacing any open one.
func (n *enrollNonces) issue(user id.UserID) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.open == nil {
		n.open = map[id.UserID]enrollNonce{}
	}
	value := sgcrypto.NewEnrollmentNonce()
	n.open[user] = enrollNonce{value: value, expires: n.clock().Add(enrollNonceTTL)}
	return value
}

// spend reports whether value is user's open nonce, unexpired; a matching nonce is used up.
func (n *enrollNonces) spend(user id.UserID, value string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	open, ok := n.open[user]
	if !ok || subtle.ConstantTimeCompare([]byte(open.value), []byte(value)) != 1 {
		return false
	}
	delete(n.open, user)
	return n.clock().Before(open.expires)
}

func (n *enrollNonces) clock() time.Time {
	if n.now != nil {
		return n.now()
	}
	return time.Now()
}
