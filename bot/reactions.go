package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/approval"
)

// decisionForKey maps a reaction to a decision. Variation selectors are dropped, so ✅ and
// ✅︎/✅️ from different keyboards mean the same.
func decisionForKey(key string) (string, bool) {
	switch strings.ReplaceAll(strings.ReplaceAll(key, "\ufe0f", ""), "\ufe0e", "") {
	case reactApprove:
		return approval.DecisionApprove, true
	case reactDeny:
		return approval.DecisionDeny, true
	}
	return "", false
}

// onReaction turns a ✅ or ❌ on a card into a vote with homeserver assurance: reactions are
// never encrypted, so only the homeserver vouches for who sent them.
func (b *Bot) onReaction(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID || evt.RoomID != b.roomID {
		return
	}
	content := evt.Content.AsReaction()
	decision, ok := decisionForKey(content.RelatesTo.Key)
	if !ok {
		return
	}
	log := zerolog.Ctx(ctx).With().Stringer("event_id", evt.ID).Stringer("sender", evt.Sender).Logger()
	res, err := b.approvals.Vote(ctx, approval.Ballot{
		CardEventID: content.RelatesTo.EventID.String(),
		Voter:       evt.Sender.String(),
		Decision:    decision,
		Assurance:   approval.AssuranceHomeserver,
		Source:      "reaction " + evt.ID.String(),
	})
	if errors.Is(err, approval.ErrUnknownRequest) {
		return // a reaction to something that is not a card
	} else if err != nil {
		log.Error().Err(err).Msg("Recording reaction vote failed")
		return
	}
	if !res.Counted {
		log.Warn().Str("reason", res.Reason).Msg("Reaction vote not counted")
	}
	b.answer(ctx, content.RelatesTo.EventID, voteAnswer(evt.Sender.String(), res))
}

// voteAnswer tells the voter what became of their vote.
func voteAnswer(voter string, res *approval.Result) string {
	if !res.Counted {
		return fmt.Sprintf("%s: your %s was not counted: %s.", voter, res.Decision, res.Reason)
	}
	t := approval.Tally(res.Votes)
	return fmt.Sprintf("%s: %s counted (%d of %d approvals).", voter, res.Decision, t.Approvals, res.Request.Quorum)
}
