package bot

import (
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/messages.html from the current rendering")

// goldenPath is every card and answer seedgate sends, as a page: test/cards renders it in
// headless Chromium, checks what a person sees and keeps the screenshot in docs.
const goldenPath = "testdata/messages.html"

// goldenMessage is one message as a client shows it: for an edit, its m.new_content.
type goldenMessage struct {
	name    string
	content *event.MessageEventContent
}

// A name chosen by whoever added the torrent: markup, a mention keyword, a backtick pair and a
// right-to-left override. None of it may take effect anywhere.
const hostileName = "<img src=x onerror=alert(1)> `rm -rf` & @room \u202Eexe.iso"

func goldenRequest(now time.Time) *store.Request {
	return &store.Request{ID: "01JEXAMPLE7Q3", State: store.RequestPending, Action: "add", Client: "seedbox-qbt", Host: "seedbox",
		Policy: "new-torrents", TorrentName: "debian-13.2.0-amd64-netinst.iso", TorrentHash: strings.Repeat("3b", 20),
		TorrentSize: 754 << 20, MatchCode: "ZQD-KG5", Quorum: 1, MinAssurance: approval.AssuranceHomeserver,
		ExpiresAt: now.Add(10 * time.Minute), CardEvent: "$card"}
}

// goldenMessages lists the cards and answers to keep, each in the states a person meets.
func goldenMessages() []goldenMessage {
	now := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	approvers := []id.UserID{"@alice:example.org", "@bob:example.org"}
	var out []goldenMessage
	add := func(name string, content *event.MessageEventContent) {
		if content.NewContent != nil {
			content = content.NewContent
		}
		out = append(out, goldenMessage{name, content})
	}
	card := func(mutate func(r *store.Request)) *store.Request {
		r := goldenRequest(now)
		mutate(r)
		return r
	}
	challenges := []*store.Challenge{{RequestID: "01JEXAMPLE7Q3", KeyID: "k1", Blob: "sg1.box.k1.q83vEjRWeJASNFZ4kBI0VniQEjRWeJA"},
		{RequestID: "01JEXAMPLE7Q3", KeyID: "k2", Blob: "sg1.box.k2.3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAA"}}
	approve := []*store.Vote{{Person: "alice", Decision: store.DecisionApprove, Counted: true}}

	c, _ := newCard([]*store.Request{card(func(*store.Request) {})}, nil, approvers, nil, 20, now, false, false, nil)
	add("card: new, reaction is enough", c)
	c, _ = newCard([]*store.Request{card(func(r *store.Request) {
		r.Action, r.Quorum, r.MinAssurance = "remove_with_data", 2, approval.AssuranceSignature
		r.Requester, r.Reason = "sonarr", "series ended <b>bold?</b>"
	})}, challenges, approvers[:1], approvers[1:], 20, now, false, false, nil)
	add("card: new, signed, 2 of 2, asked by a program, one approver muted", c)
	c, _ = newCard([]*store.Request{card(func(r *store.Request) { r.MinAssurance = approval.AssurancePasskey })}, nil, approvers, nil, 20, now, false, false,
		func(string) string { return "https://seedgate.example.org/a/cmVx.YWxpY2U.bWFj" })
	add("card: new, passkey needed, with its link", c)
	c, _ = newCard([]*store.Request{card(func(r *store.Request) { r.MinAssurance = approval.AssuranceDevice })}, nil, approvers, nil, 20, now, false, false, nil)
	add("card: new, verified device", c)
	c, _ = newCard([]*store.Request{card(func(r *store.Request) { r.TorrentName, r.TorrentSize = hostileName, 0 })}, nil, approvers, nil, 20, now, false, false, nil)
	add("card: new magnet, hostile name, metadata unknown", c)
	c, _ = newCard([]*store.Request{card(func(r *store.Request) { r.TorrentName, r.TorrentSize = "magnet-only", 0 })}, nil, approvers, nil, 20, now, true, false, nil)
	add("card: new magnet, metadata: fetch_first", c)
	c, _ = cardEdit(card(func(r *store.Request) { r.Quorum, r.MinAssurance = 2, approval.AssuranceSignature }), approve, challenges, now.Add(time.Minute), false, nil)
	add("card edit: one of two signed approvals in", c)
	decided := func(decision store.RequestState, outcome, by, failure string) *store.Request {
		return card(func(r *store.Request) {
			r.State, r.Verdict, r.Outcome, r.DecidedBy, r.DecidedAt, r.Error = store.RequestDone, decision, outcome, by, now.Add(2*time.Minute), failure
		})
	}
	executing := decided(store.RequestApproved, "resume", "@alice:example.org", "")
	executing.State = store.RequestExecuting
	c, _ = cardEdit(executing, approve, nil, now, false, nil)
	add("card edit: approved, carrying out", c)
	c, _ = cardEdit(decided(store.RequestApproved, "resume", "@alice:example.org", ""), approve, nil, now, false, nil)
	add("card edit: approved, resumed", c)
	c, _ = cardEdit(decided(store.RequestDenied, "remove", "@bob:example.org", ""), nil, nil, now, false, nil)
	add("card edit: denied, removed", c)
	c, _ = cardEdit(decided(store.RequestExpired, "keep_stopped", "", ""), nil, nil, now, false, nil)
	add("card edit: expired, left stopped", c)
	failed := decided(store.RequestApproved, "resume", "@alice:example.org", "qbittorrent: torrents/start: HTTP 403")
	failed.State = store.RequestFailed
	c, _ = cardEdit(failed, approve, nil, now, false, nil)
	add("card edit: approved, the action failed", c)

	var burst []*store.Request
	for i, name := range []string{"ubuntu-24.04.iso", hostileName, "fedora-41.iso"} {
		burst = append(burst, card(func(r *store.Request) {
			r.ID, r.TorrentName, r.TorrentHash, r.DigestIndex = fmt.Sprintf("01JDIGEST%d", i+1), name, strings.Repeat(fmt.Sprintf("%x", i+10), 40), i+1
			r.MatchCode = []string{"AAA-BBB", "CCC-DDD", "EEE-FFF"}[i]
		}))
	}
	c, _ = newCard(burst, nil, approvers, nil, 20, now, false, false, nil)
	add("digest: new burst of three", c)
	c, _ = newCard(burst, nil, approvers, nil, 20, now, false, false, func(id string) string { return "https://seedgate.example.org/a/" + id + ".LINK" })
	add("digest: new burst of three, with passkey links", c)
	burst[0].State, burst[0].Verdict, burst[0].DecidedBy = store.RequestDone, store.RequestApproved, "@alice:example.org"
	burst[1].State, burst[1].Verdict, burst[1].DecidedBy = store.RequestDone, store.RequestDenied, "@bob:example.org"
	c, _ = digestEdit(digestCard{items: burst}, "$digest", now)
	add("digest edit: two of three decided", c)
	var more []*store.Request
	for i, name := range []string{"archlinux-2026.12.01-x86_64.iso", "tails-amd64-6.10.img"} {
		more = append(more, card(func(r *store.Request) {
			r.ID, r.TorrentName, r.TorrentHash, r.DigestIndex = fmt.Sprintf("01JDIGEST%d", i+4), name, strings.Repeat(fmt.Sprintf("%x", i+13), 40), i+4
			r.MatchCode, r.DigestEvent = []string{"GGG-HHH", "JJJ-KKK"}[i], "$digest"
		}))
	}
	c, _ = newCard(more, nil, nil, nil, 20, now, false, true, nil)
	add("digest in the burst's thread: items 4–5", c)
	c, _ = digestEdit(digestCard{items: burst, burst: append(slices.Clone(burst), more...)}, "$digest", now)
	add("digest edit: the burst's first card, the rest in its thread", c)

	notice := func(name, text string) {
		add(name, &event.MessageEventContent{MsgType: event.MsgNotice, Body: text, FormattedBody: noticeHTML(text)})
	}
	help, richHelp := commandHelp()
	add("answer: !sg help", &event.MessageEventContent{MsgType: event.MsgNotice, Body: help, FormattedBody: richHelp})
	unknown, richUnknown := unknownCommand([]string{"aprove", "<b>x</b>", "`y`"})
	add("answer: unknown command", &event.MessageEventContent{MsgType: event.MsgNotice, Body: unknown, FormattedBody: richUnknown})
	pending := goldenRequest(now)
	notice("answer: !sg pending", pendingList([]*store.Request{pending, burst[2]}, map[string][]*store.Vote{pending.ID: approve}, now))
	notice("answer: !sg status", requestStatus(decided(store.RequestApproved, "resume", "@alice:example.org", ""), []*store.Vote{
		{Person: "alice", Decision: store.DecisionApprove, Assurance: approval.AssuranceSignature, Counted: true},
		{Person: "mallory", Decision: store.DecisionApprove, Assurance: approval.AssuranceHomeserver, Reason: "not an approver of this request"}}))
	one := &approval.Result{Decision: store.DecisionApprove, Counted: true, Request: goldenRequest(now), Votes: approve}
	notice("answer: vote counted", voteAnswer("@alice:example.org", []*approval.Result{one}))
	notice("answer: vote not counted", voteAnswer("@alice:example.org", []*approval.Result{{Decision: store.DecisionApprove,
		Reason: "this policy needs a signed approval; reactions are not enough", Request: goldenRequest(now)}}))
	notice("answer: digest vote", voteAnswer("@bob:example.org", []*approval.Result{one, one, {Decision: store.DecisionApprove, Reason: "already decided"}}))
	notice("notice: announced event", announceText("announce-completed", torrent.Event{Kind: torrent.EventCompleted, Client: "seedbox-qbt",
		Torrent: torrent.Torrent{Name: hostileName, Size: 3 << 30, Hash: strings.Repeat("ef", 20)}}))
	notice("notice: first look at a client", adoptedNotice("seedbox-qbt", []torrent.Torrent{
		{Name: "old-but-running.iso", Size: 1 << 30, State: torrent.StateSeeding, Hash: strings.Repeat("01", 20)},
		{Name: hostileName, Size: 5 << 20, State: torrent.StateStopped, Hash: strings.Repeat("02", 20)}},
		[]torrent.Torrent{{Hash: strings.Repeat("01", 20)}}))
	return out
}

// renderGolden lays the messages out as one page: each message's HTML as a client would show
// it, with its plain body in data-body for the browser test to compare.
func renderGolden(messages []goldenMessage) string {
	var sb strings.Builder
	sb.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seedgate: every card and answer</title>
<style>
body { font: 15px/1.45 "DejaVu Sans", sans-serif; max-width: 760px; margin: 16px auto; color: #17191c; background: #fff; }
h2 { font-size: 12px; color: #737d8c; font-weight: normal; margin: 18px 0 4px; }
.msg { border-left: 3px solid #0dbd8b; padding: 4px 12px; background: #f4f6fa; border-radius: 4px; }
.msg.m-notice { border-color: #737d8c; color: #5c6470; }
.msg p { margin: 4px 0; } .msg ul, .msg ol { margin: 4px 0; padding-left: 22px; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; background: #e3e8f0; padding: 0 3px; border-radius: 3px; }
a { color: #0086e6; text-decoration: none; background: #e0eefa; border-radius: 10px; padding: 0 6px; }
</style></head><body>
<h1>seedgate: every card and answer</h1>
`)
	for _, m := range messages {
		class := "msg"
		if m.content.MsgType == event.MsgNotice {
			class += " m-notice"
		}
		fmt.Fprintf(&sb, "<section>\n<h2>%s</h2>\n<div class=\"%s\" data-body=\"%s\">%s</div>\n</section>\n",
			html.EscapeString(m.name), class, html.EscapeString(m.content.Body), m.content.FormattedBody)
	}
	sb.WriteString("</body></html>\n")
	return sb.String()
}

// Every card and answer, as HTML, against testdata/messages.html. Run with -update after a
// deliberate change, then `go test ./test/cards` to look at it in Chromium.
func TestMessagesGolden(t *testing.T) {
	got := renderGolden(goldenMessages())
	if *updateGolden {
		if err := os.WriteFile(filepath.FromSlash(goldenPath), []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(filepath.FromSlash(goldenPath))
	if err != nil {
		t.Fatalf("%v (run go test -tags goolm ./bot -run TestMessagesGolden -update)", err)
	}
	if got != string(want) {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gotLines), len(wantLines)) {
			var g, w string
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d (rerun with -update if the change is meant):\n got: %s\nwant: %s", goldenPath, i+1, g, w)
			}
		}
	}
}

// What was wrong before the golden file existed, asserted on its own so a rewrite with
// -update cannot bless it back in.
func TestMessagesSayTheSameInBothBodies(t *testing.T) {
	for _, m := range goldenMessages() {
		body, rich := m.content.Body, m.content.FormattedBody
		if rich == "" {
			t.Errorf("%s: no HTML body", m.name)
			continue
		}
		for _, line := range []string{"Asked by", "(Not notifying", "Sealed", "For signed approval"} {
			if strings.Contains(body, line) != strings.Contains(html.UnescapeString(rich), line) {
				t.Errorf("%s: %q is in one body only:\nbody: %s\nhtml: %s", m.name, line, body, rich)
			}
		}
		if strings.Contains(rich, "`") {
			t.Errorf("%s: literal backtick in the HTML body (code should be <code>): %s", m.name, rich)
		}
		for _, bad := range []string{"<img", "<b>", "\u202E"} {
			if strings.Contains(rich, bad) {
				t.Errorf("%s: %q reached the HTML body: %s", m.name, bad, rich)
			}
		}
		if m.content.Mentions == nil {
			continue
		}
		for _, u := range m.content.Mentions.UserIDs {
			if !strings.Contains(rich, `<a href="https://matrix.to/#/`+string(u)+`">`) {
				t.Errorf("%s: mention of %s is not a pill: %s", m.name, u, rich)
			}
		}
	}
}
