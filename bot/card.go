package bot

import (
	"fmt"
	"html"
	"strings"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

const (
	reactApprove = "✅"
	reactDeny    = "❌"
)

// requestField carries the request's identity in each card, so clients and tools can find it
// without parsing text.
const requestField = "org.seedgate.request"

// cardLine is one labelled line of a card, rendered in both bodies.
type cardLine struct{ label, value string }

// cardSize is a request's size, or says why it is not known: a magnet whose metadata has not
// arrived has no size, no file list and no trackers yet. Held stopped it fetches none and is
// decided on its name and hash; with metadata: fetch_first it is fetching them, exposed.
func cardSize(n int64, fetching bool) string {
	switch {
	case n > 0:
		return approval.HumanSize(n)
	case fetching:
		return "unknown yet: fetching the magnet's metadata first (policy metadata: fetch_first), which shows this host's IP to DHT peers and trackers; it stops when the metadata arrives"
	}
	return "unknown: a magnet without its metadata (size, files and trackers unknown; held stopped, it fetches none)"
}

// renderCard draws a request as it stands: the question while pending, the verdict after.
// fetching says the request's policy lets a magnet fetch its metadata before it is decided
// (metadata: fetch_first), which the card must say while the metadata is unknown.
func renderCard(req *store.Request, votes []*store.Vote, approvers []id.UserID, now time.Time, fetching bool) *event.MessageEventContent {
	t := approval.Tally(votes)
	name := quoteName(req.TorrentName)
	var headline string
	switch req.State {
	case store.RequestPending:
		headline = fmt.Sprintf("🔒 Approval needed: %s torrent “%s”", req.Action, name)
	case store.RequestApproved, store.RequestDenied, store.RequestExpired, store.RequestExecuting:
		headline = fmt.Sprintf("⏳ %s: %s torrent “%s” — carrying out", strings.ToUpper(string(req.State[:1]))+string(req.State[1:]), req.Action, name)
	default:
		verdict := map[store.RequestState]string{store.RequestApproved: "✅ Approved", store.RequestDenied: "❌ Denied", store.RequestExpired: "⌛ Expired"}[req.Verdict]
		headline = fmt.Sprintf("%s: %s torrent “%s”", verdict, req.Action, name)
	}
	lines := []cardLine{
		{"Client", fmt.Sprintf("%s on %s", quoteName(req.Client), quoteName(req.Host))},
		{"Size", cardSize(req.TorrentSize, fetching)},
		{"Hash", req.TorrentHash},
		{"Policy", fmt.Sprintf("%s (needs %s assurance)", req.Policy, req.MinAssurance)},
		{"Approvals", fmt.Sprintf("%d of %d", t.Approvals, req.Quorum)},
		{"Match code", req.MatchCode},
	}
	if req.State.Open() {
		lines = append(lines, cardLine{"Expires", fmt.Sprintf("%s UTC (in %s)", req.ExpiresAt.UTC().Format("15:04:05"), approval.TimeLeft(req.ExpiresAt.Sub(now)))})
	} else {
		by := req.DecidedBy
		if by == "" {
			by = "nobody (timed out)"
		}
		lines = append(lines,
			cardLine{"Decided", fmt.Sprintf("by %s at %s UTC", by, req.DecidedAt.UTC().Format("2006-01-02 15:04:05"))},
			cardLine{"Outcome", approval.DescribeOutcome(req.Outcome)})
		if req.Error != "" {
			lines = append(lines, cardLine{"Error", quoteUserText(req.Error)})
		}
	}
	if req.Requester != "" {
		lines = append(lines, cardLine{"Asked by", quoteName(req.Requester) + ": " + quoteUserText(req.Reason)})
	}
	lines = append(lines, cardLine{"Request", req.ID})

	var plain, rich strings.Builder
	plain.WriteString(headline + "\n")
	rich.WriteString("<p><strong>" + html.EscapeString(headline) + "</strong></p><ul>")
	for _, l := range lines {
		fmt.Fprintf(&plain, "%s: %s\n", l.label, l.value)
		value := html.EscapeString(l.value)
		if l.label == "Hash" || l.label == "Match code" || l.label == "Request" {
			value = "<code>" + value + "</code>"
		}
		fmt.Fprintf(&rich, "<li><strong>%s:</strong> %s</li>", html.EscapeString(l.label), value)
	}
	rich.WriteString("</ul>")
	if req.State.Open() {
		mentions := make([]string, 0, len(approvers))
		richMentions := make([]string, 0, len(approvers))
		for _, u := range approvers {
			mentions = append(mentions, u.String())
			richMentions = append(richMentions, fmt.Sprintf(`<a href="%s">%s</a>`, u.URI().MatrixToURL(), html.EscapeString(u.String())))
		}
		ask := fmt.Sprintf("React %s to approve or %s to deny, or reply “approve” or “deny”.", reactApprove, reactDeny)
		if req.MinAssurance == approval.AssurancePasskey {
			ask = "This needs a passkey: open the passkey link below and tap Approve or Deny."
		} else if req.MinAssurance == approval.AssuranceSignature {
			ask = "This needs a signed approval: reply with the line `seedgate device approve` prints."
		} else if req.MinAssurance == approval.AssuranceDevice {
			ask = fmt.Sprintf("Reply “approve %s” or “deny %s” (with this card's match code) from a verified device; reactions are not enough here.", req.MatchCode, req.MatchCode)
		}
		plain.WriteString(strings.TrimSpace(strings.Join(mentions, " ") + " " + ask))
		rich.WriteString("<p>" + strings.TrimSpace(strings.Join(richMentions, " ")+" "+noticeHTML(ask)) + "</p>")
	}
	return &event.MessageEventContent{
		MsgType:       event.MsgText,
		Body:          strings.TrimRight(plain.String(), "\n"),
		Format:        event.FormatHTML,
		FormattedBody: rich.String(),
		Mentions:      &event.Mentions{UserIDs: approvers},
	}
}

func requestInfo(req *store.Request) map[string]any {
	return map[string]any{"id": req.ID, "state": req.State, "hash": req.TorrentHash, "client": req.Client, "action": req.Action}
}

// sealedField carries the challenge sealed to each enrolled device, by key id.
const sealedField = "org.seedgate.sealed"

// addSealed appends the sealed challenges to a new card: in the event content for tools, and in
// the text so a person can copy one into `seedgate device open` from any client.
func addSealed(content *event.MessageEventContent, raw map[string]any, challenges []*store.Challenge) {
	if len(challenges) == 0 {
		return
	}
	sealed := map[string]string{}
	var plain, rich strings.Builder
	const intro = "For signed approval, open the challenge for your device with `seedgate device approve`:"
	plain.WriteString("\n\n" + intro)
	rich.WriteString("<details><summary>" + noticeHTML(intro) + "</summary><ul>")
	for _, ch := range challenges {
		sealed[ch.KeyID] = ch.Blob
		fmt.Fprintf(&plain, "\n%s", ch.Blob)
		fmt.Fprintf(&rich, "<li><code>%s</code></li>", html.EscapeString(ch.Blob))
	}
	rich.WriteString("</ul></details>")
	content.Body += plain.String()
	content.FormattedBody += rich.String()
	raw[sealedField] = sealed
}
