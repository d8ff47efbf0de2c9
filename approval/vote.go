package approval

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/store"
)

// Ballot is one vote as it arrived, before it is judged.
type Ballot struct {
	RequestID   string // either the request id ...
	CardEventID string // ... or the card it answers
	Voter       string // the transport's identity of the voter (a Matrix user id)
	Decision    string
	Assurance   string
	Source      string // what carried it, for the audit log ("reaction $event")
}

// Result says what became of a ballot, in words the voter can be shown.
type Result struct {
	Counted bool
	Reason  string
	Request *store.Request
	Votes   []*store.Vote
	Decided bool // this vote decided the request
}

// Vote judges and records a ballot. Every ballot is recorded and audited, counted or not.
func (s *Service) Vote(ctx context.Context, b Ballot) (*Result, error) {
	if b.Decision != DecisionApprove && b.Decision != DecisionDeny {
		return nil, fmt.Errorf("approval: bad decision %q", b.Decision)
	}
	s.mu.Lock()
	var req *store.Request
	var err error
	if b.RequestID != "" {
		req, err = s.store.GetRequest(ctx, b.RequestID)
	} else {
		req, err = s.store.GetRequestByCard(ctx, b.CardEventID)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.mu.Unlock()
		return nil, ErrUnknownRequest
	} else if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	res := &Result{Request: req}
	err = s.store.Txn(ctx, func(ctx context.Context) error { return s.judge(ctx, b, res) })
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	zerolog.Ctx(ctx).Info().Str("request_id", req.ID).Str("voter", b.Voter).Str("decision", b.Decision).
		Str("assurance", b.Assurance).Bool("counted", res.Counted).Str("reason", res.Reason).Msg("Vote received")
	if res.Counted && s.notifier != nil {
		if err := s.notifier.UpdateCard(ctx, res.Request, res.Votes); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("Updating card after vote failed")
		}
	}
	if res.Decided {
		s.poke()
	}
	return res, nil
}

// judge records the ballot and, if it completes a quorum or a veto, decides the request.
// It runs inside a transaction.
func (s *Service) judge(ctx context.Context, b Ballot, res *Result) error {
	req := res.Request
	vote := &store.Vote{
		RequestID: req.ID, Person: b.Voter, Decision: b.Decision, Assurance: b.Assurance,
		Source: b.Source, CreatedAt: s.now(),
	}
	approver, isApprover := s.cfg.ApproverByMatrixID(b.Voter)
	switch {
	case !isApprover:
		vote.Reason = "not an approver"
	case req.State != StatePending:
		vote.Person = approver.Name
		vote.Reason = "request already " + req.State
	case !s.now().Before(req.ExpiresAt):
		vote.Person = approver.Name
		vote.Reason = "request expired"
	default:
		vote.Person = approver.Name
		vote.Counted = true
		vote.Reason = "counted"
	}
	res.Counted, res.Reason = vote.Counted, vote.Reason
	if err := s.store.InsertVote(ctx, vote); err != nil {
		return err
	}
	kind := "vote_counted"
	if !vote.Counted {
		kind = "vote_rejected"
	}
	if err := s.store.AppendAudit(ctx, kind, req.ID, map[string]any{
		"voter": b.Voter, "person": vote.Person, "decision": vote.Decision, "assurance": vote.Assurance,
		"source": vote.Source, "reason": vote.Reason,
	}); err != nil {
		return err
	}
	votes, err := s.store.ListVotes(ctx, req.ID)
	if err != nil {
		return err
	}
	res.Votes = votes
	if !vote.Counted {
		return nil
	}
	t := Tally(votes)
	var to, outcome string
	switch {
	case t.Denials >= 1:
		to, outcome = StateDenied, req.OnDeny
	case t.Approvals >= req.Quorum:
		to, outcome = StateApproved, req.OnApprove
	default:
		return nil
	}
	decidedBy := t.ApprovedBy
	if to == StateDenied {
		decidedBy = t.DeniedBy
	}
	ok, err := s.store.TransitionRequest(ctx, req.ID, store.Transition{
		From: []string{StatePending}, To: to, Decision: to, DecidedBy: joinNames(decidedBy),
		Outcome: outcome, DecidedAt: s.now(),
	})
	if err != nil || !ok {
		return err
	}
	if err = s.store.AppendAudit(ctx, "request_"+to, req.ID, map[string]any{"by": decidedBy, "outcome": outcome}); err != nil {
		return err
	}
	req.State, req.Decision, req.DecidedBy, req.Outcome, req.DecidedAt = to, to, joinNames(decidedBy), outcome, s.now()
	res.Decided = true
	return nil
}
