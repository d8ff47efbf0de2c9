package bot

import (
	"context"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

const commandPrefix = "!sg"

// commands is the help: each command with what it does.
var commands = [][2]string{
	{"!sg pending", "open requests"},
	{"!sg status <id>", "one request, with its votes"},
	{"!sg approve <id> [code]", "vote (as an encrypted reply would count)"},
	{"!sg deny <id>", "vote against"},
	{"!sg keys", "the gateway key to pin on devices, and the enrolled device keys"},
	{"!sg enroll <sgkey1…>", "enrol a device key (in your DM with me, from a cross-signed device)"},
	{"!sg revoke <fingerprint>", "revoke one of your device keys (likewise)"},
	{"!sg passkey", "a one-time link to register a passkey (in your DM with me, from a cross-signed device)"},
	{"!sg passkey confirm <confirmation code>", "make the passkey you just registered count (likewise)"},
	{"!sg passkeys", "your passkeys"},
	{"!sg passkey revoke <id>", "revoke one of your passkeys (likewise)"},
	{"!sg verify", "verify each other by emoji (SAS), in your DM with me"},
	{"!sg help", "this list"},
}

// commandHelp is the help as plain text, aligned, and as HTML, each command as code.
func commandHelp() (text, richText string) {
	var plain, rich strings.Builder
	plain.WriteString("seedgate commands:")
	rich.WriteString("<p>seedgate commands:</p><ul>")
	for _, c := range commands {
		fmt.Fprintf(&plain, "\n%-26s %s", c[0], c[1])
		fmt.Fprintf(&rich, "<li><code>%s</code> %s</li>", html.EscapeString(c[0]), html.EscapeString(c[1]))
	}
	rich.WriteString("</ul>")
	return plain.String(), rich.String()
}

// unknownCommand answers a command seedgate does not know with the help.
func unknownCommand(fields []string) (text, richText string) {
	unknown := fmt.Sprintf("Unknown command %q.", quoteUserText(strings.Join(fields, " ")))
	help, richHelp := commandHelp()
	return unknown + "\n" + help, "<p>" + html.EscapeString(unknown) + "</p>" + richHelp
}

// onCommand answers a `!sg` command in the approvals room. Votes by command carry the same
// assurance as an "approve" reply from the same device.
func (b *Bot) onCommand(ctx context.Context, evt *event.Event, body string) {
	fields := strings.Fields(strings.TrimSpace(strings.TrimPrefix(body, commandPrefix)))
	if len(fields) == 0 {
		fields = []string{"help"}
	}
	var answer, richAnswer string
	switch cmd := strings.ToLower(fields[0]); {
	case cmd == "help":
		answer, richAnswer = commandHelp()
	case cmd == "pending":
		answer = b.pendingText(ctx, evt.Sender)
	case cmd == "status" && len(fields) == 2:
		answer = b.statusText(ctx, evt.Sender, fields[1])
	case (cmd == "approve" || cmd == "deny") && len(fields) >= 2:
		decision, _ := approval.ParseDecision(cmd)
		// The command names its request inside the ciphertext, so no match code is needed to
		// bind it; a code given must still match.
		sender := b.judgeSender(ctx, evt)
		b.castAndAnswer(ctx, evt.RoomID, "", approval.Ballot{
			RequestID: fields[1], Voter: evt.Sender.String(), Decision: decision, Assurance: messageAssurance(evt),
			DeviceTrust: sender.Trust.String(), DeviceWhy: sender.Why, MatchCode: strings.Join(fields[2:], ""), NamedInBody: true,
			Source: "command " + evt.ID.String(), ReplayKey: evt.ID.String(),
		}, false)
		return
	case cmd == "keys":
		answer = b.keysText(ctx, evt)
	case cmd == "enroll":
		answer = b.enroll(ctx, evt, fields[1:])
	case cmd == "revoke":
		answer = b.revoke(ctx, evt, fields[1:])
	case cmd == "passkey" || cmd == "passkeys":
		answer = b.passkeyCommand(ctx, evt, cmd, fields[1:])
	case cmd == "verify":
		answer = b.verifyCommand(ctx, evt)
	default:
		answer, richAnswer = unknownCommand(fields)
	}
	if richAnswer == "" {
		richAnswer = noticeHTML(answer)
	}
	if err := b.sendNoticeHTML(ctx, evt.RoomID, answer, richAnswer, (&event.RelatesTo{}).SetReplyTo(evt.ID)); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Answering command failed")
	}
}

// askerMaySee says whether the sender of a read command may see a request: only approvers,
// and only requests they may vote on. Torrent names and hashes are for the people who decide,
// not for every member of a room (observers, puppets, someone a room admin invited).
func (b *Bot) askerMaySee(asker id.UserID, req *store.Request) bool {
	approver, ok := b.cfg.ApproverByMatrixID(asker.String())
	return ok && (len(req.Approvers) == 0 || slices.Contains(req.Approvers, approver.Name))
}

func (b *Bot) pendingText(ctx context.Context, asker id.UserID) string {
	if _, ok := b.cfg.ApproverByMatrixID(asker.String()); !ok {
		return "Only approvers can list requests."
	}
	all, err := b.store.ListRequests(ctx, store.RequestPending)
	if err != nil {
		return "Could not read the requests: " + err.Error()
	}
	var reqs []*store.Request
	for _, r := range all {
		if b.askerMaySee(asker, r) {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		return "No open requests for you."
	}
	votes := map[string][]*store.Vote{}
	for _, r := range reqs {
		votes[r.ID], _ = b.store.ListVotes(ctx, r.ID)
	}
	return pendingList(reqs, votes, time.Now())
}

// pendingList is the answer to `!sg pending`: each open request with its approvals so far.
func pendingList(reqs []*store.Request, votes map[string][]*store.Vote, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d open request(s):", len(reqs))
	for _, r := range reqs {
		t := approval.Tally(votes[r.ID])
		fmt.Fprintf(&sb, "\n`%s`  %s “%s” on %s — %d of %d, expires in %s", r.ID, r.Action, quoteName(r.TorrentName), r.Client,
			t.Approvals, r.Quorum, approval.TimeLeft(r.ExpiresAt.Sub(now)))
	}
	return sb.String()
}

func (b *Bot) statusText(ctx context.Context, asker id.UserID, requestID string) string {
	if _, ok := b.cfg.ApproverByMatrixID(asker.String()); !ok {
		return "Only approvers can read requests."
	}
	r, err := b.store.GetRequest(ctx, requestID)
	if err != nil || !b.askerMaySee(asker, r) {
		return "No request " + quoteUserText(requestID) + " for you." // the same answer either way: existence is not told
	}
	votes, _ := b.store.ListVotes(ctx, r.ID)
	return requestStatus(r, votes)
}

// requestStatus is the answer to `!sg status <id>`: where the request stands, with each vote.
func requestStatus(r *store.Request, votes []*store.Vote) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "`%s`: %s “%s” (`%s`) on %s — %s", r.ID, r.Action, quoteName(r.TorrentName), r.TorrentHash, r.Client, r.State)
	if r.Verdict != "" {
		fmt.Fprintf(&sb, ", %s by %s, outcome %s", r.Verdict, r.DecidedBy, r.Outcome)
	}
	for _, v := range votes {
		counted := "counted"
		if !v.Counted {
			counted = "not counted: " + v.Reason
		}
		fmt.Fprintf(&sb, "\n· %s %s (%s, %s)", v.Person, v.Decision, v.Assurance, counted)
	}
	return sb.String()
}
