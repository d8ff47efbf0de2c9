package approval

import (
	"testing"

	"github.com/seedgate/seedgate/store"
)

func TestParseDecision(t *testing.T) {
	for word, want := range map[string]store.Decision{
		"approve": store.DecisionApprove, "Approved": store.DecisionApprove, " YES ": store.DecisionApprove, "✅": store.DecisionApprove, "✅\ufe0f": store.DecisionApprove,
		"deny": store.DecisionDeny, "DENIED": store.DecisionDeny, "no": store.DecisionDeny, "❌": store.DecisionDeny,
		"withdraw": "", "approve!": "", "": "", "👍": "",
	} {
		got, ok := ParseDecision(word)
		if got != want || ok != (want != "") {
			t.Errorf("ParseDecision(%q) = %q, %v; want %q", word, got, ok, want)
		}
	}
}
