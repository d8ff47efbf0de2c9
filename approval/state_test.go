package approval

import "testing"

func TestParseDecision(t *testing.T) {
	for word, want := range map[string]string{
		"approve": DecisionApprove, "Approved": DecisionApprove, " YES ": DecisionApprove, "✅": DecisionApprove, "✅\ufe0f": DecisionApprove,
		"deny": DecisionDeny, "DENIED": DecisionDeny, "no": DecisionDeny, "❌": DecisionDeny,
		"withdraw": "", "approve!": "", "": "", "👍": "",
	} {
		got, ok := ParseDecision(word)
		if got != want || ok != (want != "") {
			t.Errorf("ParseDecision(%q) = %q, %v; want %q", word, got, ok, want)
		}
	}
}
