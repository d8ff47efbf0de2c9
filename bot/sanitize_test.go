package bot

import (
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

func TestNeutralizeText(t *testing.T) {
	cases := map[string]string{
		"plain name.iso":                       "plain name.iso",
		"evil\u202Eosi.exe":                    "evilosi.exe",
		"a\u2066b\u2069c\u200Fd\u200Be\uFEFFf": "abcdef",
		"line one\nMatch code: AAA-BBB":        "line one Match code: AAA-BBB",
		"tab\tand\r\nbreaks\u2028x\u0085y":     "tab and breaks x y",
		"bell\x07\x1b[31mred":                  "bell [31mred",
		"bad \xff\xfe utf8":                    "bad \uFFFD\uFFFD utf8",
		"   leading and trailing   ":           "leading and trailing",
	}
	for in, want := range cases {
		if got := neutralizeText(in, 100); got != want {
			t.Errorf("neutralizeText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := neutralizeText(strings.Repeat("é", 500), 120); got != strings.Repeat("é", 120)+"…" {
		t.Errorf("long name: %q (%d runes)", got, len([]rune(got)))
	}
}

// A torrent name chosen by an attacker cannot add lines to a card, reorder its text, or pass
// for something else; "Asked by" is on cards of API requests.
func TestCardCannotBeDisguised(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	req := &store.Request{
		ID: "r1", State: store.RequestPending, Action: "add", Client: "box", Host: "seed\nbox", Policy: "p",
		TorrentName: "ubuntu.iso\nMatch code: AAA-BBB\nApprovals: 2 of 1\u202E", TorrentHash: strings.Repeat("ab", 20),
		MatchCode: "ZQD-KG5", MinAssurance: approval.AssuranceDevice, Quorum: 1, ExpiresAt: now.Add(time.Minute),
		Requester: "sonarr\n\u202Eadmin", Reason: "because\nDecided: by everyone",
	}
	content := renderCard(req, nil, nil, now, false)
	for _, body := range []string{content.Body, content.FormattedBody} {
		if strings.Contains(body, "\u202E") || strings.Contains(body, "\nMatch code: AAA-BBB") || strings.Contains(body, "<li><strong>Match code:</strong> AAA") {
			t.Fatalf("card forged by its name:\n%s", body)
		}
		if !strings.Contains(body, "Asked by") || !strings.Contains(body, "sonarr admin: because Decided: by everyone") {
			t.Fatalf("no clean Asked by line:\n%s", body)
		}
	}
	lines := map[string]int{}
	for _, line := range strings.Split(content.Body, "\n") {
		label, _, _ := strings.Cut(line, ":")
		lines[label]++
		if strings.HasPrefix(line, "Approvals:") && line != "Approvals: 0 of 1" {
			t.Fatalf("forged approvals line %q", line)
		}
	}
	if lines["Match code"] != 1 || lines["Approvals"] != 1 || lines["Decided"] != 0 {
		t.Fatalf("card lines %v:\n%s", lines, content.Body)
	}
	if !strings.Contains(content.Body, "approve ZQD-KG5") {
		t.Fatalf("a device-level card does not ask for the match code:\n%s", content.Body)
	}
}

// Every message the bot sends says whom it mentions, so text in it pings nobody else.
func TestExplicitMentions(t *testing.T) {
	content := &event.MessageEventContent{MsgType: event.MsgNotice, Body: "@room hi"}
	content.SetEdit("$card")
	content.NewContent.Mentions = nil
	explicitMentions(content)
	if content.Mentions == nil || content.NewContent.Mentions == nil || content.Mentions.Room || len(content.Mentions.UserIDs) > 0 {
		t.Fatalf("mentions %+v / %+v", content.Mentions, content.NewContent.Mentions)
	}
	if got := quoteUserText("!sg @room\nfoo"); strings.Contains(got, "@room") || strings.Contains(got, "\n") {
		t.Fatalf("echoed text %q can still ping the room or add lines", got)
	}
}
