package bot

import (
	"strings"
	"testing"
)

// Notices carry HTML in which `code` is code: Element would otherwise show the backticks.
func TestNoticeHTML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"run `seedgate trust repin @a:hs KEY`\nthen vote", "run <code>seedgate trust repin @a:hs KEY</code><br>then vote"},
		{"a <b>name</b> & more", "a &lt;b&gt;name&lt;/b&gt; &amp; more"},
		{"one ` unmatched", "one <code> unmatched</code>"},
	} {
		if got := noticeHTML(tc.in); got != tc.want {
			t.Errorf("noticeHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCommandHelpShowsCommandsAsCode(t *testing.T) {
	text, rich := commandHelp()
	if strings.Contains(text, "`") || strings.Contains(rich, "`") {
		t.Fatalf("help has literal backticks:\n%s\n%s", text, rich)
	}
	for _, c := range commands {
		if !strings.Contains(text, c[0]) || !strings.Contains(rich, "<code>"+strings.ReplaceAll(strings.ReplaceAll(c[0], "<", "&lt;"), ">", "&gt;")+"</code>") {
			t.Errorf("help lacks %q as code:\n%s", c[0], rich)
		}
	}
}
