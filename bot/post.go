package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"slices"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// approverIDs returns the Matrix ids of a request's approvers (every approver when the request
// names none).
func (b *Bot) approverIDs(req *store.Request) []id.UserID {
	var out []id.UserID
	for _, a := range b.cfg.Approvers {
		if len(req.Approvers) > 0 && !slices.Contains(req.Approvers, a.Name) {
			continue
		}
		for _, m := range a.MatrixIDs {
			out = append(out, id.UserID(m))
		}
	}
	return out
}

// PostCard sends a card for one request, or a digest card for as many of a burst's as fit,
// into the approvals room (into the thread of the burst's first card when thread is set), and
// seeds the vote reactions on a card in the timeline.
func (b *Bot) PostCard(ctx context.Context, reqs []*store.Request, thread string) (approval.Posted, error) {
	req := reqs[0]
	roomID := b.roomFor(req)
	if card, sent, ok := b.sent.adoptable(roomID, requestIDs(reqs)); ok {
		// Sent before, never recorded: adopt it, with the numbers it shows.
		for i, item := range sent.items {
			reqs[i].DigestIndex = item
		}
		return approval.Posted{Room: roomID.String(), Event: card.String(), Thread: sent.thread.String(), Count: len(sent.reqIDs)}, nil
	}
	now := time.Now()
	var mention, muted []id.UserID
	if thread == "" {
		mention, muted = b.mentions.take(b.approverIDs(req), now)
	}
	var challenges []*store.Challenge
	if req.DigestIndex == 0 {
		var err error
		if challenges, err = b.store.ListChallenges(ctx, req.ID); err != nil {
			return approval.Posted{}, err
		}
		reqs = reqs[:1]
	}
	draw := func(n int) (*event.MessageEventContent, map[string]any) {
		content, raw := newCard(reqs[:n], challenges, mention, muted, b.cfg.Matrix.MentionLimit, now, b.fetchesMetadata(req), thread != "", b.passkeyLinks())
		if thread != "" {
			content.RelatesTo = (&event.RelatesTo{}).SetThread(id.EventID(thread), id.EventID(thread))
		}
		return content, raw
	}
	n := len(reqs)
	if req.DigestIndex > 0 {
		n = mostThatFit(len(reqs), func(n int) int { return contentSize(draw(n)) })
	}
	content, raw := draw(n)
	shown := reqs[:n]
	resp, err := b.sendMessage(ctx, roomID, content, raw, mautrix.ReqSendEvent{TransactionID: cardTxnID(shown)})
	if err != nil {
		return approval.Posted{}, fmt.Errorf("bot: post card for %s: %w", req.ID, err)
	}
	sent := sentCard{room: roomID, reqIDs: requestIDs(shown), thread: id.EventID(thread)}
	for _, r := range shown {
		sent.items = append(sent.items, r.DigestIndex)
	}
	b.sent.remember(resp.EventID, sent)
	posted := approval.Posted{Room: roomID.String(), Event: resp.EventID.String(), Thread: thread, Count: n}
	if thread == "" {
		// One tap on the burst's first card decides the burst; seeding every card in its
		// thread as well would double the messages a burst costs.
		b.seeds.add(ctx, roomID, resp.EventID)
	}
	return posted, nil
}

// maxDigestItems is more items than fit on one card (each takes far more than 200 bytes), so
// drawing a card for a burst of thousands never renders them all.
const maxDigestItems = maxDigestBytes / 200

// mostThatFit returns the largest n in 1…most whose card (of size sizeOf(n)) fits in
// maxDigestBytes; 1 when even one item does not (a single item always fits an event).
func mostThatFit(most int, sizeOf func(n int) int) int {
	lo, hi := 1, min(most, maxDigestItems) // lo fits, or is 1
	if sizeOf(hi) <= maxDigestBytes {
		return hi
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if sizeOf(mid) <= maxDigestBytes {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// newCard draws the card first sent for reqs: one request's card with its sealed challenges, or
// a digest card of a burst (inThread for a further card in the thread of its first); muted
// approvers (over the mention limit) are told of in both bodies.
func newCard(reqs []*store.Request, challenges []*store.Challenge, mention, muted []id.UserID, mentionLimit int, now time.Time, fetching, inThread bool, links func(requestID string) string) (*event.MessageEventContent, map[string]any) {
	var content *event.MessageEventContent
	raw := map[string]any{}
	if reqs[0].DigestIndex == 0 {
		content = renderCard(reqs[0], nil, mention, now, fetching)
		raw[requestField] = requestInfo(reqs[0])
		addPasskeyLink(content, reqs[0], links)
		addSealed(content, raw, challenges)
	} else {
		content = renderDigest(digestCard{items: reqs, inThread: inThread, links: links}, mention, now)
		raw[digestField] = digestInfo(reqs)
	}
	if len(muted) > 0 {
		note := fmt.Sprintf("(Not notifying %d approver(s) about this card: over %d cards in 10 minutes.)", len(muted), mentionLimit)
		content.Body += "\n" + note
		content.FormattedBody += "<p><em>" + html.EscapeString(note) + "</em></p>"
	}
	return content, raw
}

func requestIDs(reqs []*store.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.ID
	}
	return out
}

// cardTxnID names the sending of a card after the requests on it, so a repeated send (after
// a failed seed reaction, or a crash) is one the homeserver can recognise: one that still holds
// the transaction under the same access token answers with the event it already has. Dendrite
// forgets a transaction whose sender vanished mid-request, so after a crash readRecentCards is
// what finds the card.
func cardTxnID(reqs []*store.Request) string {
	h := sha256.New()
	for _, r := range reqs {
		h.Write([]byte(r.ID + "\x00"))
	}
	return "sg-card-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// UpdateCard edits a request's card to show its current state. A digest card is redrawn
// in the background, with every item on it, and with it the first card of its burst, whose
// headline counts the burst's open items (see digestRedraws).
func (b *Bot) UpdateCard(ctx context.Context, req *store.Request, votes []*store.Vote) error {
	if req.CardEvent == "" {
		return nil
	}
	if req.DigestIndex > 0 {
		b.redraws.mark(id.RoomID(req.CardRoom), id.EventID(req.CardEvent))
		if req.DigestEvent != "" && req.DigestEvent != req.CardEvent {
			b.redraws.mark(id.RoomID(req.CardRoom), id.EventID(req.DigestEvent))
		}
		return nil
	}
	var challenges []*store.Challenge
	if req.State.Open() {
		var err error
		if challenges, err = b.store.ListChallenges(ctx, req.ID); err != nil {
			return err
		}
	}
	content, raw := cardEdit(req, votes, challenges, time.Now(), b.fetchesMetadata(req), b.passkeyLinks())
	if _, err := b.sendMessage(ctx, id.RoomID(req.CardRoom), content, raw); err != nil {
		return fmt.Errorf("bot: edit card for %s: %w", req.ID, err)
	}
	return nil
}

// redrawDigest edits a digest card to show where each of its items stands.
func (b *Bot) redrawDigest(ctx context.Context, roomID id.RoomID, card id.EventID) error {
	reqs, err := b.store.ListRequestsOnCard(ctx, card.String())
	if err != nil || len(reqs) == 0 {
		return err
	}
	d := digestCard{items: reqs, inThread: reqs[0].DigestEvent != "" && reqs[0].DigestEvent != card.String(), links: b.passkeyLinks()}
	if reqs[0].DigestEvent == card.String() {
		if d.burst, err = b.store.ListRequestsByCard(ctx, card.String()); err != nil {
			return err
		}
	}
	content, raw := digestEdit(d, card, time.Now())
	if _, err = b.sendMessage(ctx, roomID, content, raw); err != nil {
		return fmt.Errorf("bot: edit digest card %s: %w", card, err)
	}
	return nil
}

// Announce posts a notice for an event a policy only announces, in the policy's room.
func (b *Bot) Announce(ctx context.Context, policy string, evt torrent.Event, txnID string) error {
	if err := b.sendNotice(ctx, b.roomFor(&store.Request{Policy: policy}), announceText(policy, evt), nil, mautrix.ReqSendEvent{TransactionID: txnID}); err != nil {
		return fmt.Errorf("bot: announce %s: %w", evt.Kind, err)
	}
	return nil
}

// fetchesMetadata reports whether req's policy lets a magnet fetch its metadata first.
func (b *Bot) fetchesMetadata(req *store.Request) bool {
	policy, ok := b.cfg.PolicyNamed(req.Policy)
	return ok && policy.Metadata == config.MetadataFetchFirst
}

// announceText is the notice for an event a policy only announces.
func announceText(policy string, evt torrent.Event) string {
	return fmt.Sprintf("ℹ️ %s: torrent “%s” (%s, `%s`) on %s [policy %s]", evt.Kind, quoteName(evt.Torrent.Name),
		approval.HumanSize(evt.Torrent.Size), evt.Torrent.Hash, evt.Client, policy)
}

// replyInThread answers a vote under its card: in the card's thread, or for a card in a
// burst's thread, in that thread, replying to the card.
func (b *Bot) replyInThread(ctx context.Context, roomID id.RoomID, cardEvent id.EventID, text string) error {
	return b.sendNotice(ctx, roomID, text, b.underCard(ctx, cardEvent))
}

// underCard is the relation of a message that belongs under card. A thread cannot start at an
// event that is itself in a thread (Synapse refuses it), so under a card in a burst's thread
// it is a reply to the card in that thread.
func (b *Bot) underCard(ctx context.Context, card id.EventID) *event.RelatesTo {
	root, known := b.sent.threadOf(card)
	if !known {
		digest, err := b.store.DigestOfCard(ctx, card.String())
		if err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("Finding the thread of a card failed")
		}
		root = id.EventID(digest)
	}
	if root == "" || root == card {
		return (&event.RelatesTo{}).SetThread(card, card)
	}
	return (&event.RelatesTo{}).SetReplyTo(card).SetThread(root, "")
}

// cardEdit redraws a request's card as an edit. Clients show an edit's m.new_content in place
// of the card, so that is where everything the card carries must be too: while the request is
// open, the sealed challenges (a second approver of a 2-of-N signed policy still needs theirs
// after the first vote) and, always, the machine-readable request.
func cardEdit(req *store.Request, votes []*store.Vote, challenges []*store.Challenge, now time.Time, fetching bool, links func(requestID string) string) (*event.MessageEventContent, map[string]any) {
	content := renderCard(req, votes, nil, now, fetching)
	addPasskeyLink(content, req, links)
	inner := map[string]any{requestField: requestInfo(req)}
	addSealed(content, inner, challenges)
	content.SetEdit(id.EventID(req.CardEvent))
	raw := map[string]any{requestField: requestInfo(req), "m.new_content": inner}
	return content, raw
}
