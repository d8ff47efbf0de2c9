package bot

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

// decisionForKey maps a reaction to a decision: ✅ or ❌ (with or without a variation
// selector, as keyboards differ). A reaction is not a word: "approve" as a reaction's key is
// no vote.
func decisionForKey(key string) (store.Decision, bool) {
	decision, ok := approval.ParseDecision(key)
	if !ok || strings.ContainsFunc(key, unicode.IsLetter) {
		return "", false
	}
	return decision, true
}

// onReaction turns a ✅ or ❌ on a card into a vote with homeserver assurance: reactions are
// never encrypted, so only the homeserver vouches for who sent them.
func (b *Bot) onReaction(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID || b.isPuppet(evt.Sender) || !b.isCardRoom(evt.RoomID) {
		return
	}
	content := evt.Content.AsReaction()
	decision, ok := decisionForKey(content.RelatesTo.Key)
	if !ok {
		return
	}
	b.castAndAnswer(ctx, evt.RoomID, content.RelatesTo.EventID, approval.Ballot{
		CardEventID: content.RelatesTo.EventID.String(),
		Voter:       evt.Sender.String(),
		Decision:    decision,
		Assurance:   approval.AssuranceHomeserver,
		Source:      "reaction " + evt.ID.String(),
		ReplayKey:   evt.ID.String(),
	}, true)
}

// voteAnswer tells the voter what became of their vote (on a digest card, of each item's vote).
func voteAnswer(voter string, results []*approval.Result) string {
	if len(results) == 1 {
		res := results[0]
		if !res.Counted {
			return fmt.Sprintf("%s: your %s was not counted: %s.", voter, res.Decision, res.Reason)
		}
		t := approval.Tally(res.Votes)
		return fmt.Sprintf("%s: %s counted (%d of %d approvals).", voter, res.Decision, t.Approvals, res.Request.Quorum)
	}
	counted, reasons := 0, map[string]int{}
	for _, r := range results {
		if r.Counted {
			counted++
		} else {
			reasons[r.Reason]++
		}
	}
	text := fmt.Sprintf("%s: %s counted on %d of %d items.", voter, results[0].Decision, counted, len(results))
	for reason, n := range reasons {
		text += fmt.Sprintf(" %d not counted: %s.", n, reason)
	}
	return text
}
