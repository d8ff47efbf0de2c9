package approval

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/store"
)

// Withdraw takes back the votes a Matrix event carried, when its sender redacts it. While a
// request is pending the person's vote stops counting (recorded as a withdrawal, audited); once
// decided, a withdrawal changes nothing and says so. A redaction proves only what the
// homeserver says, so it withdraws only a vote that proved no more: a `device` or `signature`
// vote stands (the homeserver admin could otherwise undo it), and the voter is told to vote
// again instead. It returns one sentence per request.
func (s *Service) Withdraw(ctx context.Context, voter, eventID string) ([]string, *store.Request, error) {
	approver, ok := s.cfg.ApproverByMatrixID(voter)
	if !ok {
		return nil, nil, nil
	}
	votes, err := s.store.VotesFromEvent(ctx, eventID)
	if err != nil {
		return nil, nil, err
	}
	var answers []string
	var last *store.Request
	for _, v := range votes {
		if !v.Counted || v.Person != approver.Name {
			continue
		}
		s.mu.Lock()
		req, err := s.store.GetRequest(ctx, v.RequestID)
		if err != nil {
			s.mu.Unlock()
			return answers, last, err
		}
		last = req
		if req.State != store.RequestPending {
			s.mu.Unlock()
			answers = append(answers, fmt.Sprintf("%s: request %s is already %s; your %s stands in the audit log.", voter, req.ID, req.State, v.Decision))
			continue
		}
		if assuranceRank(v.Assurance) > assuranceRank(AssuranceHomeserver) {
			s.mu.Unlock()
			answers = append(answers, fmt.Sprintf("%s: your %s on %s was made at %s assurance and a redaction cannot take it back "+
				"(a homeserver can forge redactions); it still counts. To change it, vote again the same way.", voter, v.Decision, req.ID, v.Assurance))
			continue
		}
		err = s.store.Txn(ctx, func(ctx context.Context) error {
			if err := s.store.InsertVote(ctx, &store.Vote{
				RequestID: req.ID, Person: approver.Name, Decision: store.DecisionWithdraw, Assurance: v.Assurance,
				Source: "redaction of " + eventID, Counted: true, Reason: "withdrawn", CreatedAt: s.now(),
			}); err != nil {
				return err
			}
			return s.store.AppendAudit(ctx, "vote_withdrawn", req.ID, map[string]any{"person": approver.Name, "voter": voter, "withdrawn": v.Decision, "event": eventID})
		})
		s.mu.Unlock()
		if err != nil {
			return answers, last, err
		}
		zerolog.Ctx(ctx).Info().Str("request_id", req.ID).Str("person", approver.Name).Msg("Vote withdrawn")
		answers = append(answers, fmt.Sprintf("%s withdrew their %s on %s.", approver.Name, v.Decision, req.ID))
		all, _ := s.store.ListVotes(ctx, req.ID)
		if err := s.notifier.UpdateCard(ctx, req, all); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("Updating card after withdrawal failed")
		}
		s.changes.notify()
	}
	return answers, last, nil
}
