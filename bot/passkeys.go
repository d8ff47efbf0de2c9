package bot

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/passkey"
	"github.com/seedgate/seedgate/store"
)

var _ passkey.Notices = (*Bot)(nil)

// UsePasskeys links cards to the passkey pages and answers `!sg passkey`; call it before Start.
func (b *Bot) UsePasskeys(s *passkey.Server) { b.passkeys = s }

// passkeyLinks gives each request's passkey page for any of its approvers, or is nil when
// passkeys are not served.
func (b *Bot) passkeyLinks() func(requestID string) string {
	if b.passkeys == nil {
		return nil
	}
	return func(requestID string) string { return b.passkeys.ApprovalURL(requestID, "") }
}

// addPasskeyLink puts the passkey page's link on an open request's card.
func addPasskeyLink(content *event.MessageEventContent, req *store.Request, links func(requestID string) string) {
	if links == nil || !req.State.Open() {
		return
	}
	link := links(req.ID)
	const label = "🔑 Approve or deny with a passkey"
	content.Body += "\n" + label + ": " + link
	content.FormattedBody += fmt.Sprintf(`<p>%s: <a href="%s">%s</a></p>`, html.EscapeString(label), html.EscapeString(link), html.EscapeString(link))
}

// passkeyCommand answers `!sg passkey` (a one-time enrolment link), `!sg passkey confirm
// <code>`, `!sg passkey revoke <id>` and `!sg passkeys` (the list). Like device keys, a
// passkey decides votes, so every one of them needs the person's own DM and a trusted device.
func (b *Bot) passkeyCommand(ctx context.Context, evt *event.Event, cmd string, args []string) string {
	if b.passkeys == nil {
		return "Passkeys are not set up on this seedgate (passkeys.listen and passkeys.public_url in its config)."
	}
	approver, by, refusal := b.keyCommandSender(ctx, evt, cmd)
	if refusal != "" {
		return refusal
	}
	switch {
	case cmd == "passkeys" || (len(args) > 0 && strings.EqualFold(args[0], "list")):
		return b.passkeyList(ctx, approver.Name)
	case len(args) == 0:
		link, expires, err := b.passkeys.IssueEnrolment(ctx, approver.Name, by)
		if err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("Issuing a passkey enrolment link failed")
			return "No link: it could not be stored; try again later."
		}
		return fmt.Sprintf("Open this link on the phone or computer that should hold your passkey (once, within %s):\n%s\n"+
			"The page then shows a code: send `!sg passkey confirm <confirmation code>` here, from this verified session. Until then the passkey counts for nothing.",
			approval.TimeLeft(time.Until(expires)), link)
	case strings.EqualFold(args[0], "confirm") && len(args) > 1:
		code := crypto.NormalizeMatchCode(strings.Join(args[1:], ""))
		now := time.Now()
		key, err := b.store.ConfirmPasskey(ctx, approver.Name, code, by, now, now.Add(-passkey.EnrolmentTTL))
		if err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("Confirming a passkey failed")
			return "Not confirmed: the change could not be stored; try again later."
		}
		if key == nil {
			return "Not confirmed: no passkey of yours registered in the last 10 minutes shows that code. `!sg passkeys` lists yours; `!sg passkey` gives a new link."
		}
		zerolog.Ctx(ctx).Info().Str("approver", approver.Name).Str("credential_id", key.CredentialID).Str("by", by).Msg("Passkey confirmed")
		return fmt.Sprintf("Confirmed passkey %s of %s (%s). Its taps on a card's passkey link count from now on.", shortID(key.CredentialID), approver.Name, describeAuthenticator(key))
	case strings.EqualFold(args[0], "revoke") && len(args) > 1:
		return b.passkeyRevoke(ctx, approver.Name, args[1], by)
	}
	return "Usage: `!sg passkey`, `!sg passkey confirm <confirmation code>`, `!sg passkeys`, `!sg passkey revoke <id>`."
}

func (b *Bot) passkeyList(ctx context.Context, person string) string {
	keys, err := b.store.ListPasskeys(ctx, person)
	if err != nil {
		return "Could not read the passkeys: " + err.Error()
	}
	if len(keys) == 0 {
		return "You have no passkeys here. `!sg passkey` gives a link to register one."
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Passkeys of %s:", person)
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n%s: %s, %s, registered %s UTC", shortID(k.CredentialID), k.State, describeAuthenticator(k), k.EnrolledAt.UTC().Format("2006-01-02 15:04"))
	}
	return sb.String()
}

func (b *Bot) passkeyRevoke(ctx context.Context, person, prefix, by string) string {
	keys, err := b.store.ListPasskeys(ctx, person)
	if err != nil {
		return "Could not read the passkeys: " + err.Error()
	}
	var match []*store.Passkey
	for _, k := range keys {
		if k.State != store.PasskeyRevoked && strings.HasPrefix(k.CredentialID, prefix) {
			match = append(match, k)
		}
	}
	switch len(match) {
	case 0:
		return "Not revoked: no passkey of yours in use has an id starting " + quoteUserText(prefix) + ". `!sg passkeys` lists yours."
	case 1:
	default:
		return "Not revoked: more than one of your passkeys starts with that; give more of its id."
	}
	ok, err := b.store.RevokePasskey(ctx, person, match[0].CredentialID, by, time.Now())
	if err != nil || !ok {
		zerolog.Ctx(ctx).Error().Err(err).Msg("Revoking a passkey failed")
		return "Not revoked: the change could not be stored; try again later."
	}
	zerolog.Ctx(ctx).Info().Str("approver", person).Str("credential_id", match[0].CredentialID).Str("by", by).Msg("Passkey revoked")
	return fmt.Sprintf("Revoked passkey %s of %s. No tap with it counts any more, even one already on its way.", shortID(match[0].CredentialID), person)
}

// shortID is the part of a credential id a person types to name it.
func shortID(credentialID string) string { return credentialID[:min(len(credentialID), 10)] }

func describeAuthenticator(k *store.Passkey) string {
	return "authenticator " + k.AAGUID + ", attestation " + k.Attestation
}

// PasskeyRegistered tells the person, in their DM, that a passkey was registered with their
// link: if it was not them (the link leaked), it stays unconfirmed and never counts.
func (b *Bot) PasskeyRegistered(ctx context.Context, person string, key *store.Passkey) {
	a, ok := b.cfg.Approver(person)
	if !ok {
		return
	}
	text := fmt.Sprintf("🔑 A passkey was just registered with the link I gave you (%s, id %s). "+
		"Send `!sg passkey confirm <the code that page shows>` here within 10 minutes to make it count. "+
		"If that was not you, do nothing: it never counts; `!sg passkey revoke %s` removes it.", describeAuthenticator(key), shortID(key.CredentialID), shortID(key.CredentialID))
	for _, m := range a.MatrixIDs {
		b.tellQuietly(ctx, id.UserID(m), text)
	}
}

// PasskeyVoted answers a passkey vote under the request's card, as every vote is answered.
func (b *Bot) PasskeyVoted(ctx context.Context, person string, res *approval.Result) {
	answer := voteAnswer(person, []*approval.Result{res}) + " (🔑 passkey)"
	b.mirror(ctx, res.Request.ID, b.cardOnceRecorded, func(ctx context.Context, roomID id.RoomID, card id.EventID) error {
		return b.replyInThread(ctx, roomID, card, answer)
	})
}
