package approval

import (
	"strings"

	"github.com/seedgate/seedgate/config"
)

// Request states. A request moves pending -> approved|denied|expired -> executing -> done|failed
// and never back; every move is a compare-and-set in the store.
const (
	StatePending   = "pending"
	StateApproved  = "approved"
	StateDenied    = "denied"
	StateExpired   = "expired"
	StateExecuting = "executing"
	StateDone      = "done"
	StateFailed    = "failed"
)

// Decisions a vote can carry.
const (
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
	// DecisionWithdraw is recorded when a voter takes a vote back (redacts it): their earlier
	// vote stops counting, and Tally counts them neither way.
	DecisionWithdraw = "withdraw"
)

// ParseDecision reads a person's word for a vote, the one parser for every place one comes
// from (a reply, a command, a reaction): approve, approved, yes or ✅; deny, denied, no or ❌;
// any case, emoji with or without their presentation selector. Withdrawing is never typed.
func ParseDecision(word string) (string, bool) {
	word = strings.ToLower(strings.NewReplacer("\ufe0f", "", "\ufe0e", "").Replace(strings.TrimSpace(word)))
	switch word {
	case DecisionApprove, "approved", "yes", "✅":
		return DecisionApprove, true
	case DecisionDeny, "denied", "no", "❌":
		return DecisionDeny, true
	}
	return "", false
}

// Assurance levels: how much a vote proves (see design.md). Policies name them in the config.
const (
	AssuranceHomeserver = config.AssuranceHomeserver
	AssuranceDevice     = config.AssuranceDevice
	AssuranceSignature  = config.AssuranceSignature
)

// decidedStates are those whose action has not run yet.
var decidedStates = []string{StateApproved, StateDenied, StateExpired}

// IsFinal reports whether a request has reached the end of its life.
func IsFinal(state string) bool { return state == StateDone || state == StateFailed }

// IsOpen reports whether a request still takes votes.
func IsOpen(state string) bool { return state == StatePending }
