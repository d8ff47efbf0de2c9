package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// onMessage handles text in the approvals room: signed vote lines (assurance `signature`, from
// anyone — the key says who) and "approve"/"deny" replies to a card (assurance `device` when the
// message was encrypted by a cross-signed device, `homeserver` otherwise).
func (b *Bot) onMessage(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID || b.isPuppet(evt.Sender) || (!b.isCardRoom(evt.RoomID) && b.dmOwners[evt.RoomID] == "") {
		return // the bot's own words, couriers' words already judged where they came in, other rooms
	}
	content := evt.Content.AsMessage()
	if content.NewContent != nil {
		b.onEdit(ctx, evt, content)
		return
	}
	if content.MsgType != event.MsgText {
		return
	}
	card := repliedTo(content)
	log := zerolog.Ctx(ctx).With().Stringer("event_id", evt.ID).Stringer("sender", evt.Sender).Logger()
	ctx = log.WithContext(ctx)
	if strings.HasPrefix(strings.TrimSpace(content.Body), commandPrefix) {
		b.onCommand(ctx, evt, strings.TrimSpace(content.Body))
		return
	}
	if lines := crypto.FindVotes(content.Body); len(lines) > 0 {
		for i, line := range lines {
			b.signedReply(ctx, evt, card, i, line)
		}
		return
	}
	if card == "" {
		return
	}
	decision, item, code, ok := parseReply(content.Body)
	if !ok {
		return
	}
	// An encrypted reply says which device sent it; the policy's min_trust decides whether that
	// device's trust is enough for `device` assurance. Which card it answers comes from the
	// cleartext m.relates_to, which the homeserver can point elsewhere: only the match code
	// inside the ciphertext binds it to its card, so approval counts it as `device` only with
	// that code. A reply in the clear proves what a reaction proves.
	sender := b.judgeSender(ctx, evt)
	b.castAndAnswer(ctx, evt.RoomID, card, approval.Ballot{
		CardEventID: card.String(), Voter: evt.Sender.String(), Decision: decision, Assurance: messageAssurance(evt),
		MatchCode: code, Item: item, DeviceTrust: sender.Trust.String(), DeviceWhy: sender.Why,
		Source: "reply " + evt.ID.String() + " trust " + sender.Trust.String(), ReplayKey: evt.ID.String(),
	}, false)
}

// messageAssurance is the most a message can prove: `device` when it was encrypted (its
// device's trust and binding are judged next), `homeserver` in the clear.
func messageAssurance(evt *event.Event) string {
	if evt.Mautrix.EventSource&event.SourceDecrypted != 0 {
		return approval.AssuranceDevice
	}
	return approval.AssuranceHomeserver
}

// onEdit answers an edit that reads like a vote: a vote is what was sent, and changing its
// words afterwards would let a vote say one thing when counted and another when read.
func (b *Bot) onEdit(ctx context.Context, evt *event.Event, content *event.MessageEventContent) {
	if _, _, _, isVote := parseReply(content.NewContent.Body); !isVote && len(crypto.FindVotes(content.NewContent.Body)) == 0 {
		return
	}
	b.answer(ctx, evt.RoomID, "", evt.Sender.String()+": edits do not change votes; your earlier vote stands as sent. "+
		"To change it, redact it and vote again.")
}

// signedReply casts the index-th signed line of a message. Several lines in one message (two
// approvers' lines pasted together) are each a vote of their own, so each has its own replay
// key: the message's event id alone would make the second line look like a replay of the first.
func (b *Bot) signedReply(ctx context.Context, evt *event.Event, card id.EventID, index int, line string) {
	v, err := crypto.ParseVote(line)
	if err != nil {
		b.answer(ctx, evt.RoomID, card, fmt.Sprintf("%s: signed line %d of that message is malformed; copy the whole line again.", evt.Sender, index+1))
		return
	}
	b.castAndAnswer(ctx, evt.RoomID, card, signedBallot(evt, card, index, v), false)
}

func signedBallot(evt *event.Event, card id.EventID, index int, v *crypto.SignedVote) approval.Ballot {
	key := fmt.Sprintf("%s/%d", evt.ID, index+1)
	ballot := approval.Ballot{Voter: evt.Sender.String(), Signed: v, Source: "signed reply " + key, ReplayKey: key}
	if card != "" {
		ballot.CardEventID = card.String()
	}
	return ballot
}

// castAndAnswer votes and tells the voter what became of it in roomID, where the vote came
// from: under the card when the card is there. quietIfUnknown skips the answer for reactions
// on events that are not cards.
func (b *Bot) castAndAnswer(ctx context.Context, roomID id.RoomID, card id.EventID, ballot approval.Ballot, quietIfUnknown bool) {
	results, err := b.approvals.VoteCard(ctx, ballot)
	if errors.Is(err, approval.ErrUnknownRequest) && ballot.CardEventID != "" {
		// A card the homeserver took but seedgate has not recorded yet (a vote faster than the
		// record, or a card the previous run sent just before it died): the bot knows which
		// requests it shows.
		if reqIDs := b.sent.requestsOn(id.EventID(ballot.CardEventID)); len(reqIDs) > 0 {
			results, err = b.voteOnRequests(ctx, ballot, reqIDs)
		}
	}
	b.answerVote(ctx, roomID, card, ballot, quietIfUnknown, results, err)
}

// voteOnRequests casts a card's vote on the requests the card shows, by request id.
func (b *Bot) voteOnRequests(ctx context.Context, ballot approval.Ballot, reqIDs []string) ([]*approval.Result, error) {
	var results []*approval.Result
	for i, reqID := range reqIDs {
		if ballot.Item != 0 && ballot.Item != i+1 {
			continue
		}
		one := ballot
		one.RequestID, one.CardEventID = reqID, ""
		res, err := b.approvals.VoteCard(ctx, one)
		if err != nil {
			return results, err
		}
		results = append(results, res...)
	}
	if len(results) == 0 {
		return nil, approval.ErrUnknownRequest
	}
	return results, nil
}

// answerVote tells the voter what became of a vote; a replayed vote was answered before.
func (b *Bot) answerVote(ctx context.Context, roomID id.RoomID, card id.EventID, ballot approval.Ballot, quietIfUnknown bool, results []*approval.Result, err error) {
	if err == nil && len(results) > 0 && !slices.ContainsFunc(results, func(r *approval.Result) bool { return !r.Replayed }) {
		return
	}
	switch {
	case errors.Is(err, approval.ErrUnknownRequest):
		if !quietIfUnknown {
			b.answer(ctx, roomID, card, ballot.Voter+": "+err.Error()+".")
		}
		return
	case err != nil:
		// The voter must not take silence for a counted vote: the reaction stays in the room,
		// but seedgate will not read it again.
		zerolog.Ctx(ctx).Error().Err(err).Msg("Recording vote failed")
		b.answer(ctx, roomID, card, ballot.Voter+": your "+string(ballot.Decision)+" could not be recorded (seedgate's database refused the write; its log says why). Nothing was decided: vote again once it is fixed.")
		return
	}
	for _, res := range results {
		if !res.Counted {
			zerolog.Ctx(ctx).Warn().Str("request_id", res.Request.ID).Str("reason", res.Reason).Msg("Vote not counted")
		}
	}
	if card == "" && results[0].Request.CardRoom == roomID.String() {
		card = id.EventID(results[0].Request.CardEvent)
	}
	b.answer(ctx, roomID, card, voteAnswer(ballot.Voter, results))
}

// answer posts text in roomID, in the thread of card when there is one.
func (b *Bot) answer(ctx context.Context, roomID id.RoomID, card id.EventID, text string) {
	var err error
	if card != "" {
		err = b.replyInThread(ctx, roomID, card, text)
	} else {
		err = b.sendNotice(ctx, roomID, text, nil)
	}
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Answering vote failed")
	}
}

// repliedTo returns the event a message answers: its thread root or the event it replies to.
func repliedTo(content *event.MessageEventContent) id.EventID {
	rel := content.RelatesTo
	if rel == nil {
		return ""
	}
	if thread := rel.GetThreadParent(); thread != "" {
		return thread
	}
	return rel.GetReplyTo()
}

// parseReply reads a decision word (approval.ParseDecision: approve, yes, ✅, deny, no, ❌), then
// optionally a digest item's number, then optionally the match code: "approve",
// "approve ZQD-KG5", "approve 3 ZQD-KG5". Reply
// fallbacks (quoted lines starting with ">") are skipped.
func parseReply(body string) (decision store.Decision, item int, code string, ok bool) {
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, ">") {
			continue
		}
		fields := strings.Fields(strings.ToLower(line))
		if decision, ok = approval.ParseDecision(fields[0]); !ok {
			return "", 0, "", false
		}
		rest := fields[1:]
		if len(rest) > 0 {
			if n, err := strconv.Atoi(rest[0]); err == nil && n > 0 && n < 1000 {
				item, rest = n, rest[1:]
			}
		}
		return decision, item, strings.Join(rest, ""), true
	}
	return "", 0, "", false
}
