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
	case r.State.Open():
		return "pending"
	case r.Verdict == store.RequestApproved:
		return "✅ approved by " + r.DecidedBy
	case r.Verdict == store.RequestDenied:
		return "❌ denied by " + r.DecidedBy
	default:
		return "⌛ expired"
	}
}

// digestCard is what one digest card shows: its items, and where it stands in its burst.
type digestCard struct {
	items []*store.Request
	// inThread marks a further card of a burst, in the thread of the burst's first card.
	inThread bool
	// burst, on a burst's first card, is every item of the burst when they are known (when
	// the card is redrawn); nil when it is first posted.
	burst []*store.Request
	// links gives an open item's passkey page; nil when passkeys are not served.
	links func(requestID string) string
}

// openAndSize counts the open items of reqs and adds up their sizes.
func openAndSize(reqs []*store.Request) (open int, total int64) {
	for _, r := range reqs {
		if r.State.Open() {
			open++
		}
		total += r.TorrentSize
	}
	return open, total
}

// headline is a digest card's first line.
func (d digestCard) headline() string {
	first, last := d.items[0].DigestIndex, d.items[len(d.items)-1].DigestIndex
	open, total := openAndSize(d.items)
	switch {
	case d.inThread && open == 0:
		return fmt.Sprintf("Items %d–%d of the burst: all decided", first, last)
	case d.inThread:
		return fmt.Sprintf("🔒 Burst, continued: items %d–%d (%s, %s) — %d still open", first, last, d.items[0].Action, approval.HumanSize(total), open)
	case len(d.burst) > len(d.items):
		burstOpen, burstTotal := openAndSize(d.burst)
		if burstOpen == 0 {
			return fmt.Sprintf("Burst of %d torrents: all decided", len(d.burst))
		}
		return fmt.Sprintf("🔒 Approval needed: %s %d torrents (%s) — %d still open; items %d–%d here, the rest in this card's thread",
			d.items[0].Action, len(d.burst), approval.HumanSize(burstTotal), burstOpen, first, last)
	case open == 0:
		return fmt.Sprintf("Digest of %d torrents: all decided", len(d.items))
	}
	return fmt.Sprintf("🔒 Approval needed: %s %d torrents (%s) — %d still open", d.items[0].Action, len(d.items), approval.HumanSize(total), open)
}

// ask says how to decide the card's items, while any is open.
func (d digestCard) ask() string {
	if d.inThread {
		return fmt.Sprintf("Reply in this thread “approve %d <its code>” / “deny %d <its code>” for one item; react %s / %s on this card "+
			"to decide its open items, or on the burst's first card to decide every open item of the burst.",
			d.items[0].DigestIndex, d.items[0].DigestIndex, reactApprove, reactDeny)
	}
	if len(d.burst) > len(d.items) {
		return fmt.Sprintf("React %s / %s here to decide every open item of the burst at once, on this card and in its thread, "+
			"or reply in the thread “approve 3 <its code>” / “deny 3 <its code>” for one item "+
			"(the code is what makes an encrypted reply count as a verified device's).", reactApprove, reactDeny)
	}
	return fmt.Sprintf("React %s / %s to decide every open item at once (more torrents of this burst, if any, follow in this card's thread "+
		"and are decided with it), or reply “approve 3 <its code>” / “deny 3 <its code>” for one item "+
		"(the code is what makes an encrypted reply count as a verified device's).", reactApprove, reactDeny)
}

// renderDigest draws one card for many requests of one policy (a burst of new torrents).
func renderDigest(d digestCard, mention []id.UserID, now time.Time) *event.MessageEventContent {
	first := d.items[0]
	headline := d.headline()
	var plain, rich strings.Builder
	client, host := quoteName(first.Client), quoteName(first.Host)
	fmt.Fprintf(&plain, "%s\nClient: %s on %s · Policy: %s · Expires: %s UTC\n", headline, client, host, first.Policy, first.ExpiresAt.UTC().Format("15:04:05"))
	fmt.Fprintf(&rich, "<p><strong>%s</strong><br>Client: %s on %s · Policy: %s · Expires: %s UTC</p>", html.EscapeString(headline),
		html.EscapeString(client), html.EscapeString(host), html.EscapeString(first.Policy), first.ExpiresAt.UTC().Format("15:04:05"))
	if first.DigestIndex > 1 {
		// Clients number a list from 1 unless told; a card in a burst's thread goes on from the last.
		fmt.Fprintf(&rich, "<ol start=\"%d\">", first.DigestIndex)
	} else {
		rich.WriteString("<ol>")
	}
	for _, r := range d.items {
		name, hash := quoteName(r.TorrentName), r.TorrentHash[:min(12, len(r.TorrentHash))]
		link, richLink := "", ""
		if d.links != nil && r.State.Open() {
			url := d.links(r.ID)
			link, richLink = " · 🔑 "+url, fmt.Sprintf(` · 🔑 <a href="%s">%s</a>`, html.EscapeString(url), html.EscapeString(url))
		}
		fmt.Fprintf(&plain, "%d. %s (%s, %s) code %s — %s%s\n", r.DigestIndex, name, approval.HumanSize(r.TorrentSize), hash, r.MatchCode, itemState(r), link)
		fmt.Fprintf(&rich, "<li>%s (%s, <code>%s</code>) code <code>%s</code> — %s%s</li>", html.EscapeString(name), approval.HumanSize(r.TorrentSize),
			html.EscapeString(hash), html.EscapeString(r.MatchCode), html.EscapeString(itemState(r)), richLink)
	}
	rich.WriteString("</ol>")
	if open, _ := openAndSize(d.items); open > 0 {
		ask := d.ask()
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
func digestEdit(d digestCard, card id.EventID, now time.Time) (*event.MessageEventContent, map[string]any) {
	content := renderDigest(d, nil, now)
	content.SetEdit(card)
	content.Body, content.Format, content.FormattedBody = "* "+strings.SplitN(content.NewContent.Body, "\n", 2)[0], "", ""
	return content, map[string]any{digestField: digestInfo(d.items)}
}
