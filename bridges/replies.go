package bridges

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
)

// Voter is what the couriers' inbound side needs of the approval engine.
type Voter interface {
	Vote(ctx context.Context, b approval.Ballot) (*approval.Result, error)
}

// Mirror shows courier traffic in the approvals room, through a puppet per person.
type Mirror interface {
	// CourierSent notes in the card's thread that the card went to person over route.
	CourierSent(ctx context.Context, requestID, person, route string)
	// CourierSaid posts what person sent over route as their puppet's reply to the card,
	// followed by seedgate's answer.
	CourierSaid(ctx context.Context, requestID, person, route, text, answer string)
}

// Replies judges what people send back over the couriers. The couriers are untrusted: a
// message counts only through a signature by an enrolled device key, which the engine checks;
// the phone number only says whom to answer.
type Replies struct {
	Config *config.Config
	Voter  Voter
	Mirror Mirror
}

// Incoming is one message from a person over a courier.
type Incoming struct {
	Route string // signal, twilio, rbm
	From  string // the sender's number
	Text  string // what they wrote, or the text of the chip they tapped
	// RequestID is the request the message answers, when the courier says so (a Signal quote,
	// an RBM postback); "" otherwise.
	RequestID string
}

// Handle records the votes in msg and returns the answer to send back; ok is false for a
// sender seedgate does not know, who gets no answer at all.
func (r *Replies) Handle(ctx context.Context, msg Incoming) (answer string, ok bool) {
	log := zerolog.Ctx(ctx).With().Str("route", msg.Route).Logger()
	person, known := r.Config.ApproverByRoute(msg.Route, msg.From)
	if !known {
		metrics.CourierInbound.Inc(msg.Route, "unknown_sender")
		log.Warn().Str("from", msg.From).Msg("Message from a number no approver has: ignored")
		return "", false
	}
	var lines []string
	for _, field := range strings.Fields(msg.Text) {
		if strings.HasPrefix(field, "sg1.vote.") {
			lines = append(lines, field)
		}
	}
	requestID := msg.RequestID
	var answers []string
	if len(lines) == 0 {
		metrics.CourierInbound.Inc(msg.Route, "unsigned")
		log.Info().Str("approver", person.Name).Msg("Unsigned courier message not counted")
		answers = append(answers, fmt.Sprintf("Not counted: approvals over %s must be signed by an enrolled device "+
			"(reply with the line from `seedgate device approve`).", RouteName(msg.Route)))
	}
	for _, line := range lines {
		text, votedOn := r.vote(ctx, msg, person, line)
		answers = append(answers, text)
		if votedOn != "" {
			requestID = votedOn
		}
	}
	answer = strings.Join(answers, "\n")
	if r.Mirror != nil && requestID != "" {
		r.Mirror.CourierSaid(ctx, requestID, person.Name, msg.Route, msg.Text, answer)
	}
	return answer, true
}

// vote hands one signed line to the engine and says what became of it, and on which request.
func (r *Replies) vote(ctx context.Context, msg Incoming, person config.Approver, line string) (string, string) {
	signed, err := crypto.ParseVote(line)
	if err != nil {
		metrics.CourierInbound.Inc(msg.Route, "malformed")
		return "Not counted: not a valid signed line (" + err.Error() + ").", ""
	}
	res, err := r.Voter.Vote(ctx, approval.Ballot{Voter: msg.Route + " " + msg.From, Signed: signed, Source: msg.Route})
	switch {
	case errors.Is(err, approval.ErrUnknownRequest):
		metrics.CourierInbound.Inc(msg.Route, "unknown_request")
		return "Not counted: no such request.", ""
	case err != nil:
		metrics.CourierInbound.Inc(msg.Route, "error")
		zerolog.Ctx(ctx).Error().Err(err).Str("approver", person.Name).Msg("Recording a courier vote failed")
		return "Not recorded: seedgate could not record the vote; try again.", ""
	case res.Counted:
		metrics.CourierInbound.Inc(msg.Route, "counted")
		return fmt.Sprintf("Counted: %s on request %s (%s).", res.Decision, res.Request.ID, res.Request.State), res.Request.ID
	default:
		metrics.CourierInbound.Inc(msg.Route, "not_counted")
		return fmt.Sprintf("Not counted: %s.", res.Reason), res.Request.ID
	}
}
