package bot

import (
	"context"
	"fmt"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// sendMessage is how the bot sends every room message. It gives the message, and the new
// content of an edit, an explicit m.mentions — empty unless the content names someone on
// purpose — because a message that carries the field is exempt from the push rules that match
// its text: an approver's name, a torrent's name or a command echoed back ("@room") then rings
// nobody. raw holds extra top-level fields (the card's machine-readable parts) and may be nil.
//
// A seedgate that may have lost the database's lease (frozen past it) sends nothing: another
// one may be active, and two sending from one bot device diverge its encryption sessions.
func (b *Bot) sendMessage(ctx context.Context, roomID id.RoomID, content *event.MessageEventContent, raw map[string]any, opts ...mautrix.ReqSendEvent) (*mautrix.RespSendEvent, error) {
	if err := b.store.CheckLease(); err != nil {
		return nil, fmt.Errorf("bot: not sending: %w", err)
	}
	explicitMentions(content)
	if raw == nil {
		return b.client.SendMessageEvent(ctx, roomID, event.EventMessage, content, opts...)
	}
	return b.client.SendMessageEvent(ctx, roomID, event.EventMessage, &event.Content{Parsed: content, Raw: raw}, opts...)
}

// sendNotice sends text as a notice, in reply to or in the thread of rel when it is set, with
// an HTML version in which `code` shows as code.
func (b *Bot) sendNotice(ctx context.Context, roomID id.RoomID, text string, rel *event.RelatesTo, opts ...mautrix.ReqSendEvent) error {
	return b.sendNoticeHTML(ctx, roomID, text, noticeHTML(text), rel, opts...)
}

// sendNoticeHTML is sendNotice with its HTML given.
func (b *Bot) sendNoticeHTML(ctx context.Context, roomID id.RoomID, text, richText string, rel *event.RelatesTo, opts ...mautrix.ReqSendEvent) error {
	_, err := b.sendMessage(ctx, roomID, &event.MessageEventContent{MsgType: event.MsgNotice, Body: text,
		Format: event.FormatHTML, FormattedBody: richText, RelatesTo: rel}, nil, opts...)
	return err
}

func explicitMentions(content *event.MessageEventContent) {
	if content.Mentions == nil {
		content.Mentions = &event.Mentions{}
	}
	if content.NewContent != nil && content.NewContent.Mentions == nil {
		content.NewContent.Mentions = &event.Mentions{}
	}
}

// quoteUserText makes text someone else chose safe to echo in a notice: the room-wide mention
// keyword loses its power for clients that still match text, its backticks cannot open or
// close a code span of the notice (they become U+02CB, which looks the same), and control
// characters go.
func quoteUserText(text string) string { return quoteUserTextN(text, maxReasonRunes) }

// quoteName is quoteUserText for a name (of a torrent, a client), capped like a card's names.
func quoteName(text string) string { return quoteUserTextN(text, maxNameRunes) }

func quoteUserTextN(text string, maxRunes int) string {
	text = strings.ReplaceAll(text, "@room", "@\u2060room")
	return strings.ReplaceAll(neutralizeText(text, maxRunes), "`", "\u02CB")
}
