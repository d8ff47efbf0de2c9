package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/approval"
)

const commandPrefix = "!sg"

const commandHelp = `seedgate commands:
!sg pending            open requests
!sg status <id>        one request, with its votes
!sg approve <id> [code]  vote (as an encrypted reply would count)
!sg deny <id>          vote against
!sg keys               the gateway key to pin on devices, and the enrolled device keys
!sg enroll <sgkey1…>   enrol a device key (in your DM with me, from a cross-signed device)
!sg revoke <fingerprint>  revoke one of your device keys (likewise)
!sg verify             verify each other by emoji (SAS), in your DM with me
!sg help               this list`

// onCommand answers a `!sg` command in the approvals room. Votes by command carry the same
// assurance as an "approve" reply from the same device.
func (b *Bot) onCommand(ctx context.Context, evt *event.Event, body string) {
	fields := strings.Fields(strings.TrimSpace(strings.TrimPrefix(body, commandPrefix)))
	if len(fields) == 0 {
		fields = []string{"help"}
	}
	var answer string
	switch cmd := strings.ToLower(fields[0]); {
	case cmd == "help":
		answer = commandHelp
	case cmd == "pending":
		answer = b.pendingText(ctx)
	case cmd == "status" && len(fields) == 2:
		answer = b.statusText(ctx, fields[1])
	case (cmd == "approve" || cmd == "deny") && len(fields) >= 2:
		decision := approval.DecisionApprove
		if cmd == "deny" {
			decision = approval.DecisionDeny
		}
		assurance := approval.AssuranceHomeserver
		if evt.Mautrix.EventSource&event.SourceDecrypted != 0 {
			assurance = approval.AssuranceDevice
		}
		b.castAndAnswer(ctx, evt.RoomID, "", approval.Ballot{
			RequestID: fields[1], Voter: evt.Sender.String(), Decision: decision, Assurance: assurance,
			DeviceTrust: evt.Mautrix.TrustState.String(), MatchCode: strings.Join(fields[2:], ""),
			Source: "command " + evt.ID.String(), ReplayKey: evt.ID.String(),
		}, false)
		return
	case cmd == "keys":
		answer = b.keysText(ctx, evt)
	case cmd == "enroll":
		answer = b.enroll(ctx, evt, fields[1:])
	case cmd == "revoke":
		answer = b.revoke(ctx, evt, fields[1:])
	case cmd == "verify":
		answer = b.verifyCommand(ctx, evt)
	default:
		answer = fmt.Sprintf("Unknown command %q.\n%s", strings.Join(fields, " "), commandHelp)
	}
	if _, err := b.client.SendMessageEvent(ctx, evt.RoomID, event.EventMessage, &event.MessageEventContent{
		MsgType: event.MsgNotice, Body: answer, RelatesTo: (&event.RelatesTo{}).SetReplyTo(evt.ID),
	}); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Answering command failed")
	}
}

func (b *Bot) pendingText(ctx context.Context) string {
	reqs, err := b.store.ListRequests(ctx, approval.StatePending)
	if err != nil {
		return "Could not read the requests: " + err.Error()
	}
	if len(reqs) == 0 {
		return "No open requests."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d open request(s):", len(reqs))
	for _, r := range reqs {
		votes, _ := b.store.ListVotes(ctx, r.ID)
		t := approval.Tally(votes)
		fmt.Fprintf(&sb, "\n%s  %s “%s” on %s — %d of %d, expires in %s", r.ID, r.Action, r.TorrentName, r.Client,
			t.Approvals, r.Quorum, timeLeft(time.Until(r.ExpiresAt)))
	}
	return sb.String()
}

func (b *Bot) statusText(ctx context.Context, requestID string) string {
	r, err := b.store.GetRequest(ctx, requestID)
	if err != nil {
		return "No request " + requestID + "."
	}
	votes, _ := b.store.ListVotes(ctx, r.ID)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %s “%s” (%s) on %s — %s", r.ID, r.Action, r.TorrentName, r.TorrentHash, r.Client, r.State)
	if r.Decision != "" {
		fmt.Fprintf(&sb, ", %s by %s, outcome %s", r.Decision, r.DecidedBy, r.Outcome)
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
