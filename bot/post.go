package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"slices"
	"time"

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

// PostCard sends a card for one request, or a digest card for several, into the approvals room
// and seeds the vote reactions.
func (b *Bot) PostCard(ctx context.Context, reqs []*store.Request) (string, string, error) {
	req := reqs[0]
	now := time.Now()
	mention, muted := b.mentions.take(b.approverIDs(req), now)
	var challenges []*store.Challenge
	if len(reqs) == 1 {
		var err error
		if challenges, err = b.store.ListChallenges(ctx, req.ID); err != nil {
			return "", "", err
		}
	}
	content, raw := newCard(reqs, challenges, mention, muted, b.cfg.Matrix.MentionLimit, now, b.fetchesMetadata(req))
	if len(reqs) > 1 {
		if size := contentSize(content, raw); size > maxDigestBytes {
			return "", "", fmt.Errorf("bot: digest of %d requests is %d bytes, over %d: %w", len(reqs), size, maxDigestBytes, approval.ErrCardTooLarge)
		}
	}
	roomID := b.roomFor(req)
	if card, ok := b.sent.adoptable(roomID, requestIDs(reqs)); ok {
		return roomID.String(), card.String(), nil // sent before, never recorded: adopt it
	}
	resp, err := b.sendMessage(ctx, roomID, content, raw, mautrix.ReqSendEvent{TransactionID: cardTxnID(reqs)})
	if err != nil {
		return "", "", fmt.Errorf("bot: post card for %s: %w", req.ID, err)
	}
	b.sent.remember(roomID, resp.EventID, requestIDs(reqs), false)
	for _, key := range []string{reactApprove, reactDeny} {
		reaction := &event.ReactionEventContent{RelatesTo: event.RelatesTo{Type: event.RelAnnotation, EventID: resp.EventID, Key: key}}
		if _, err = b.client.SendMessageEvent(ctx, roomID, event.EventReaction, reaction,
			mautrix.ReqSendEvent{TransactionID: seedTxnID(resp.EventID, key)}); err != nil {
			return roomID.String(), resp.EventID.String(), fmt.Errorf("bot: seed %s on card for %s: %w", key, req.ID, err)
		}
	}
	return roomID.String(), resp.EventID.String(), nil
}

// newCard draws the card first sent for reqs: one request's card with its sealed challenges, or
// a digest of several; muted approvers (over the mention limit) are told of in both bodies.
func newCard(reqs []*store.Request, challenges []*store.Challenge, mention, muted []id.UserID, mentionLimit int, now time.Time, fetching bool) (*event.MessageEventContent, map[string]any) {
	var content *event.MessageEventContent
	raw := map[string]any{}
	if len(reqs) == 1 {
		content = renderCard(reqs[0], nil, mention, now, fetching)
		raw[requestField] = requestInfo(reqs[0])
		addSealed(content, raw, challenges)
	} else {
		content = renderDigest(reqs, mention, now)
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

// seedTxnID names the bot's own vote reaction on a card, for the same reason.
func seedTxnID(card id.EventID, key string) string {
	sum := sha256.Sum256([]byte(card.String() + "\x00" + key))
	return "sg-seed-" + hex.EncodeToString(sum[:16])
}

// UpdateCard edits a request's card to show its current state; for a digest card, the state of
// every item on it.
func (b *Bot) UpdateCard(ctx context.Context, req *store.Request, votes []*store.Vote) error {
	if req.CardEvent == "" {
		return nil
	}
	var content *event.MessageEventContent
	var raw map[string]any
	if req.DigestIndex > 0 {
		reqs, err := b.store.ListRequestsByCard(ctx, req.CardEvent)
		if err != nil {
			return err
		}
		content, raw = digestEdit(reqs, id.EventID(req.CardEvent), time.Now())
	} else {
		var challenges []*store.Challenge
		if approval.IsOpen(req.State) {
			var err error
			if challenges, err = b.store.ListChallenges(ctx, req.ID); err != nil {
				return err
			}
		}
		content, raw = cardEdit(req, votes, challenges, time.Now(), b.fetchesMetadata(req))
	}
	_, err := b.sendMessage(ctx, id.RoomID(req.CardRoom), content, raw)
	if err != nil {
		return fmt.Errorf("bot: edit card for %s: %w", req.ID, err)
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
		humanSize(evt.Torrent.Size), evt.Torrent.Hash, evt.Client, policy)
}

// replyInThread answers a vote under its card.
func (b *Bot) replyInThread(ctx context.Context, roomID id.RoomID, cardEvent id.EventID, text string) error {
	return b.sendNotice(ctx, roomID, text, (&event.RelatesTo{}).SetThread(cardEvent, cardEvent))
}

// cardEdit redraws a request's card as an edit. Clients show an edit's m.new_content in place
// of the card, so that is where everything the card carries must be too: while the request is
// open, the sealed challenges (a second approver of a 2-of-N signed policy still needs theirs
// after the first vote) and, always, the machine-readable request.
func cardEdit(req *store.Request, votes []*store.Vote, challenges []*store.Challenge, now time.Time, fetching bool) (*event.MessageEventContent, map[string]any) {
	content := renderCard(req, votes, nil, now, fetching)
	inner := map[string]any{requestField: requestInfo(req)}
	addSealed(content, inner, challenges)
	content.SetEdit(id.EventID(req.CardEvent))
	raw := map[string]any{requestField: requestInfo(req), "m.new_content": inner}
	return content, raw
}
