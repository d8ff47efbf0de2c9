package approval

import (
	"strings"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// ParseDecision reads a person's word for a vote, the one parser for every place one comes
// from (a reply, a command, a reaction): approve, approved, yes or ✅; deny, denied, no or ❌;
// any case, emoji with or without their presentation selector. Withdrawing is never typed.
func ParseDecision(word string) (store.Decision, bool) {
	word = strings.ToLower(strings.NewReplacer("\ufe0f", "", "\ufe0e", "").Replace(strings.TrimSpace(word)))
	switch word {
	case string(store.DecisionApprove), "approved", "yes", "✅":
		return store.DecisionApprove, true
	case string(store.DecisionDeny), "denied", "no", "❌":
		return store.DecisionDeny, true
	}
	return "", false
}

// Assurance levels: how much a vote proves (see design.md). Policies name them in the config.
const (
	AssuranceHomeserver = config.AssuranceHomeserver
	AssuranceDevice     = config.AssuranceDevice
	AssuranceSignature  = config.AssuranceSignature
	AssurancePasskey    = config.AssurancePasskey
)
