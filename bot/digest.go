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

// digestField lists the requests on a digest card, in item order.
const digestField = "org.seedgate.digest"

func digestInfo(reqs []*store.Request) []map[string]any {
	out := make([]map[string]any, len(reqs))
	for i, r := range reqs {
		out[i] = requestInfo(r)
		out[i]["item"] = r.DigestIndex
	}
	return out
}

// itemState says where one digest item stands, in a word or two.
func itemState(r *store.Request) string {
	switch {
	case approval.IsOpen(r.State):
		return "pending"
	case r.Verdict == approval.StateApproved:
		return "✅ approved by " + r.DecidedBy
	case r.Verdict == approval.StateDenied:
		return "❌ denied by " + r.DecidedBy
	default:
		return "⌛ expired"
	}
}

// renderDigest draws one card for many requests of one policy (a burst of new torrents).
func renderDigest(reqs []*store.Request, mention []id.UserID, now time.Time) *event.MessageEventContent {
	first := reqs[0]
	open, total := 0, int64(0)
	for _, r := range reqs {
		if approval.IsOpen(r.State) {
			open++
		}
		total += r.TorrentSize
	}
	headline := fmt.Sprintf("🔒 Approval needed: %s %d torrents (%s) — %d still open", first.Action, len(reqs), humanSize(total), open)
	if open == 0 {
		headline = fmt.Sprintf("Digest of %d torrents: all decided", len(reqs))
	}
	var plain, rich strings.Builder
	client, host := quoteName(first.Client), quoteName(first.Host)
	fmt.Fprintf(&plain, "%s\nClient: %s on %s · Policy: %s · Expires: %s UTC\n", headline, client, host, first.Policy, first.ExpiresAt.UTC().Format("15:04:05"))
	fmt.Fprintf(&rich, "<p><strong>%s</strong><br>Client: %s on %s · Policy: %s · Expires: %s UTC</p><ol>", html.EscapeString(headline),
		html.EscapeString(client), html.EscapeString(host), html.EscapeString(first.Policy), first.ExpiresAt.UTC().Format("15:04:05"))
	for _, r := range reqs {
		name, hash := quoteName(r.TorrentName), r.TorrentHash[:min(12, len(r.TorrentHash))]
		fmt.Fprintf(&plain, "%d. %s (%s, %s) code %s — %s\n", r.DigestIndex, name, humanSize(r.TorrentSize), hash, r.MatchCode, itemState(r))
		fmt.Fprintf(&rich, "<li>%s (%s, <code>%s</code>) code <code>%s</code> — %s</li>", html.EscapeString(name), humanSize(r.TorrentSize),
			html.EscapeString(hash), html.EscapeString(r.MatchCode), html.EscapeString(itemState(r)))
	}
	rich.WriteString("</ol>")
	if open > 0 {
		ask := fmt.Sprintf("React %s / %s to decide every open item at once, or reply “approve 3 <its code>” / “deny 3 <its code>” for one item "+
			"(the code is what makes an encrypted reply count as a verified device's).", reactApprove, reactDeny)
		names, pills := make([]string, len(mention)), make([]string, len(mention))
		for i, u := range mention {
			names[i] = u.String()
			pills[i] = fmt.Sprintf(`<a href="%s">%s</a>`, u.URI().MatrixToURL(), html.EscapeString(u.String()))
		}
		plain.WriteString(strings.TrimSpace(strings.Join(names, " ") + " " + ask))
		rich.WriteString("<p>" + strings.TrimSpace(strings.Join(pills, " ")+" "+html.EscapeString(ask)) + "</p>")
	}
	return &event.MessageEventContent{
		MsgType: event.MsgText, Body: strings.TrimRight(plain.String(), "\n"), Format: event.FormatHTML,
		FormattedBody: rich.String(), Mentions: &event.Mentions{UserIDs: mention},
	}
}

// digestEdit redraws a digest card as an edit. The fallback for clients without edits would
// double the event's size; its first line will do.
func digestEdit(reqs []*store.Request, card id.EventID, now time.Time) (*event.MessageEventContent, map[string]any) {
	content := renderDigest(reqs, nil, now)
	content.SetEdit(card)
	content.Body, content.Format, content.FormattedBody = "* "+strings.SplitN(content.NewContent.Body, "\n", 2)[0], "", ""
	return content, map[string]any{digestField: digestInfo(reqs)}
}
