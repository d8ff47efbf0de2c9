package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seedgate/seedgate/test/stack"
)

var (
	enrolLink    = regexp.MustCompile(`http://localhost:\d+/e/\S+`)
	approvalLink = regexp.MustCompile(`Approve or deny with a passkey: (http://localhost:\d+/a/\S+)`)
	passkeyID    = regexp.MustCompile(`\n(\S+): active,`)
)

// TestPasskeyApprovalEndToEnd runs the phone flow on the real stack: the approver asks the bot
// for an enrolment link in their DM, registers a passkey with it in Chromium (a DevTools
// virtual authenticator), confirms it from their cross-signed session, and then approves one
// held torrent and denies another from the links on their cards; qBittorrent resumes and
// removes them. A reaction is not enough where the policy asks for a passkey.
func TestPasskeyApprovalEndToEnd(t *testing.T) {
	ctx, s := upStack(t, 4*time.Minute, stack.Options{Approvers: []string{"alice"}, MinAssurance: "passkey", Passkeys: true})
	alice := s.Clients["alice"]
	browser := stack.StartBrowser(t)
	phone := browser.NewPhone(nil)

	dmJoin, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool { return m.Type == "joined" && m.Direct })
	if err != nil {
		t.Fatal(err)
	}
	dm := dmJoin.RoomID
	command := func(text, answer string) string {
		t.Helper()
		sent, err := alice.Reply(ctx, dm, "", text)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := waitReplyTo(ctx, t, alice, dm, sent, answer).Content["body"].(string)
		return body
	}
	command("!sg passkey", "needs a device that is at least cross-signed-tofu")
	if err = alice.CrossSign(ctx); err != nil {
		t.Fatal(err)
	}
	link := enrolLink.FindString(command("!sg passkey", "Open this link"))
	if link == "" || !strings.HasPrefix(link, s.PasskeyURL) {
		t.Fatalf("no enrolment link on %s in the bot's answer: %q", s.PasskeyURL, link)
	}
	phone.Open(link, "button.enrol")
	code := strings.TrimSpace(phone.WaitText("#code", "-"))
	waitNotice(ctx, t, alice, dm, "A passkey was just registered with the link I gave you")
	command("!sg passkey confirm WRONG-CODE", "Not confirmed")
	command("!sg passkey confirm "+code, "Confirmed passkey")
	command("!sg passkeys", "active")
	t.Cleanup(func() { assertNotLogged(t, s, "the enrolment token", link[strings.LastIndex(link, "/")+1:]) })

	cardLink := func(t *testing.T, card *stack.ApproverMessage) string {
		t.Helper()
		body, _ := card.Content["body"].(string)
		m := approvalLink.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the card has no passkey link:\n%s", body)
		}
		return m[1]
	}
	t.Run("a reaction is not enough", func(t *testing.T) {
		tf, card := addHeld(ctx, t, s, alice, "passkey-reaction.bin")
		if _, err := alice.React(ctx, card.RoomID, card.EventID, "✅"); err != nil {
			t.Fatal(err)
		}
		waitThreadNotice(ctx, t, alice, card.EventID, "needs a passkey approval")
		if state, _, _ := s.QB.State(ctx, tf.Hash); !stack.IsStopped(state) {
			t.Fatalf("a reaction moved a request that needs a passkey: %s", state)
		}
	})
	t.Run("approve: the torrent resumes", func(t *testing.T) {
		tf, card := addHeld(ctx, t, s, alice, "passkey-approve.bin")
		phone.Open(cardLink(t, card), "button.approve")
		tapped := time.Now()
		waitTorrentState(ctx, t, s.QB, tf.Hash, "resumed", func(state string, exists bool) bool { return exists && !stack.IsStopped(state) })
		t.Logf("tap -> qBittorrent reports the torrent running: %s", time.Since(tapped).Round(time.Millisecond))
		phone.WaitText("#status", "counted")
		waitThreadNotice(ctx, t, alice, card.EventID, "(🔑 passkey)")
	})
	t.Run("deny: the torrent is removed", func(t *testing.T) {
		tf, card := addHeld(ctx, t, s, alice, "passkey-deny.bin")
		phone.Open(cardLink(t, card), "button.deny")
		waitTorrentState(ctx, t, s.QB, tf.Hash, "removed", func(_ string, exists bool) bool { return !exists })
		phone.Do(chromedp.Navigate(cardLink(t, card)))
		phone.WaitText("#problem", "already")
	})
	t.Run("revoked from the DM, the passkey no longer counts", func(t *testing.T) {
		id := passkeyID.FindStringSubmatch(command("!sg passkeys", "active"))
		if id == nil {
			t.Fatal("no passkey id in the list")
		}
		command("!sg passkey revoke "+id[1], "Revoked passkey "+id[1])
		tf, card := addHeld(ctx, t, s, alice, "passkey-revoked.bin")
		phone.Open(cardLink(t, card), "button.approve")
		phone.WaitText("#status", "this passkey is revoked")
		if state, _, _ := s.QB.State(ctx, tf.Hash); !stack.IsStopped(state) {
			t.Fatalf("a revoked passkey moved the request: %s", state)
		}
	})
}

// assertNotLogged fails if any of seedgate's logs holds secret.
func assertNotLogged(t *testing.T, s *stack.Stack, name, secret string) {
	t.Helper()
	for logName, text := range seedgateLogs(t, s) {
		if strings.Contains(text, secret) {
			t.Errorf("%s holds %s", logName, name)
		}
	}
}

// seedgateLogs returns each of seedgate's log files by name; it fails when there is none.
func seedgateLogs(t *testing.T, s *stack.Stack) map[string]string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(s.Seedgate.Dir, "*.log"))
	if len(paths) == 0 {
		t.Fatal("no seedgate log found")
	}
	logs := map[string]string{}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		logs[filepath.Base(path)] = string(raw)
	}
	return logs
}
