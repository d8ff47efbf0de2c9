package crypto

import "testing"

// TestGrammarsCompile compiles every lazily compiled grammar: a typo in one would otherwise
// panic on its first use, not at start.
func TestGrammarsCompile(t *testing.T) {
	for name, grammar := range map[string]func() any{
		"blobPattern": func() any { return blobPattern() }, "enrollmentGrammar": func() any { return enrollmentGrammar() },
		"proofGrammar": func() any { return proofGrammar() }, "proofLine": func() any { return proofLine() },
		"gatewayGrammar": func() any { return gatewayGrammar() }, "voteLine": func() any { return voteLine() },
		"voteGrammar": func() any { return voteGrammar() },
	} {
		if grammar() == nil {
			t.Errorf("%s compiled to nothing", name)
		}
	}
}
