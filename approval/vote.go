package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
)

// Ballot is one vote as it arrived, before it is judged.
type Ballot struct {
	RequestID   string // the request voted on (VoteCard fills it in for votes given on a card)
	CardEventID string // the card the vote answers, if any; it must show RequestID
	Voter       string // the transport's identity of the voter (a Matrix user id, a phone number)
	Decision    store.Decision
	Assurance   string             // what the transport proves (homeserver, device); ignored when Signed
	Signed      *crypto.SignedVote // a signed vote: its key, not the transport, says who voted
	Passkey     *PasskeyProof      // a passkey assertion: its credential says who voted
	MatchCode   string             // the match code the voter typed, if any
	DeviceTrust string             // for `device` assurance: the sending device's trust state
	DeviceWhy   string             // why that trust is low, in words for the voter ("" when it is not)
	// NamedInBody says the encrypted body itself names the request (a `!sg approve <id>`
	// command). Otherwise a `device` ballot is bound to its card only by the match code it
	// carries: the card it answers comes from cleartext the homeserver can rewrite.
	NamedInBody bool
	Item        int    // on a digest card: the item voted on (1-based); 0 = every open item
	Source      string // what carried it, for the audit log ("reaction $event")
	// ReplayKey names the delivery, when the same one can arrive twice: a Matrix event id (the
	// bot fetches a batch again after a crash). A ballot whose key is already in a vote on the
	// request is a replay, answered from that vote and not recorded again.
	ReplayKey string
}

// Result says what became of a ballot, in words the voter can be shown.
type Result struct {
	Decision store.Decision // what the vote said (for a signed vote, what its signature says)
	Counted  bool
	Reason   string
	Request  *store.Request
	Votes    []*store.Vote
	Decided  bool // this vote decided the request
	Replayed bool // the ballot was seen before; nothing was recorded
}

// Vote judges and records a ballot. Every ballot about a known request is recorded and audited,
// counted or not.
func (s *Service) Vote(ctx context.Context, b Ballot) (*Result, error) {
	if b.Signed != nil {
		b.Decision, b.Assurance = store.Decision(b.Signed.Decision), AssuranceSignature
		if b.RequestID == "" {
			b.RequestID = b.Signed.RequestID
		}
	}
	if b.Passkey != nil {
		b.Assurance, b.Signed = AssurancePasskey, nil
	}
	if b.Decision != store.DecisionApprove && b.Decision != store.DecisionDeny {
		return nil, fmt.Errorf("approval: bad decision %q", b.Decision)
	}
	s.mu.Lock()
	req, err := s.findRequest(ctx, b)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if replay, err := s.replayed(ctx, b, req); err != nil || replay != nil {
		s.mu.Unlock()
		return replay, err
	}
	res := &Result{Request: req, Decision: b.Decision}
	err = s.store.Txn(ctx, func(ctx context.Context) error { return s.judge(ctx, b, res) })
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	zerolog.Ctx(ctx).Info().Str("request_id", req.ID).Str("voter", b.Voter).Str("decision", string(b.Decision)).
		Str("assurance", b.Assurance).Bool("counted", res.Counted).Str("reason", res.Reason).Msg("Vote received")
	switch {
	case res.Decided:
		// The action goes first; carrying it out redraws the card with the outcome anyway.
		s.poke()
	case res.Counted:
		if err := s.notifier.UpdateCard(ctx, res.Request, res.Votes); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("Updating card after vote failed")
		}
	}
	s.changes.notify()
	return res, nil
}

// VoteCard applies a ballot given on a card to the requests it decides: the one request of a
// plain card; on a digest card, every item still open, or the item the ballot names; on the
// first card of a burst, the same over every card of the burst.
func (s *Service) VoteCard(ctx context.Context, b Ballot) ([]*Result, error) {
	if b.Signed != nil || b.RequestID != "" {
		res, err := s.Vote(ctx, b)
		if err != nil {
			return nil, err
		}
		return []*Result{res}, nil
	}
	reqs, err := s.store.ListRequestsByCard(ctx, b.CardEventID)
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, ErrUnknownRequest
	}
	var results []*Result
	for _, r := range reqs {
		if (b.Item != 0 && r.DigestIndex != b.Item) || (b.Item == 0 && len(reqs) > 1 && r.State != store.RequestPending) {
			continue
		}
		one := b
		one.RequestID = r.ID
		res, err := s.Vote(ctx, one)
		if err != nil {
			return results, err
		}
		results = append(results, res)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("%w: no open item %d on this card", ErrUnknownRequest, b.Item)
	}
	return results, nil
}

// replayed returns the result of the vote a ballot's delivery already made on the request, or
// nil if it made none.
func (s *Service) replayed(ctx context.Context, b Ballot, req *store.Request) (*Result, error) {
	if b.ReplayKey == "" {
		return nil, nil
	}
	votes, err := s.store.ListVotes(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range votes {
		if slices.Contains(strings.Fields(v.Source), b.ReplayKey) {
			return &Result{Request: req, Decision: v.Decision, Counted: v.Counted, Reason: v.Reason, Votes: votes, Replayed: true}, nil
		}
	}
	return nil, nil
}

// findRequest returns the request a ballot is about.
func (s *Service) findRequest(ctx context.Context, b Ballot) (*store.Request, error) {
	req, err := s.store.GetRequest(ctx, b.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownRequest
	}
	return req, err
}

// judge records the ballot and, if it completes a quorum or a veto, decides the request.
// It runs inside a transaction.
func (s *Service) judge(ctx context.Context, b Ballot, res *Result) error {
	req := res.Request
	vote := &store.Vote{
		RequestID: req.ID, Person: b.Voter, Decision: b.Decision, Assurance: b.Assurance,
		Source: b.Source, CreatedAt: s.now(),
	}
	weak := ""
	switch {
	case b.Assurance != AssuranceDevice:
	case !config.TrustAtLeast(b.DeviceTrust, req.MinTrust):
		// An encrypted reply from a device below the policy's trust proves no more than a reaction.
		weak = "your device is not trusted"
		if b.DeviceWhy != "" {
			weak += ": " + b.DeviceWhy
		}
	case b.MatchCode == "" && !b.NamedInBody:
		// Without the code, nothing inside the ciphertext says which card it answers.
		example := string(b.Decision) + " " + req.MatchCode
		if req.DigestIndex > 0 {
			example = fmt.Sprintf("%s %d %s", b.Decision, req.DigestIndex, req.MatchCode)
		}
		weak = "an encrypted reply must name its card's match code (“" + example + "”)"
	}
	if weak != "" {
		b.Assurance, vote.Assurance = AssuranceHomeserver, AssuranceHomeserver
	}
	vote.Person, vote.Reason = s.identify(ctx, b, req)
	if vote.Reason == "" {
		switch {
		case req.State != store.RequestPending:
			vote.Reason = "request already " + string(req.State)
		case !s.now().Before(req.ExpiresAt):
			vote.Reason = "request expired"
		case assuranceRank(b.Assurance) < assuranceRank(req.MinAssurance):
			vote.Reason = needs(req.MinAssurance)
			if weak != "" {
				vote.Reason += " (" + weak + ")"
			}
		case b.MatchCode != "" && crypto.NormalizeMatchCode(b.MatchCode) != crypto.NormalizeMatchCode(req.MatchCode):
			vote.Reason = "the match code does not match this request"
		default:
			vote.Reason, vote.Counted = s.spend(ctx, b, req)
		}
	}
	res.Counted, res.Reason = vote.Counted, vote.Reason
	metrics.Votes.Inc(vote.Assurance, strconv.FormatBool(vote.Counted))
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
	return s.decideIfDone(ctx, res)
}

// identify names the person behind a ballot, or says why nobody can be named. A signed vote is
// identified by its key alone, after every check that needs no database write.
func (s *Service) identify(ctx context.Context, b Ballot, req *store.Request) (person, reason string) {
	if b.CardEventID != "" && req.CardEvent != b.CardEventID && req.DigestEvent != b.CardEventID {
		return b.Voter, "wrong request: this answers another card"
	}
	if b.Passkey != nil {
		return s.identifyPasskey(ctx, b.Passkey, req)
	}
	if b.Signed == nil {
		approver, ok := s.cfg.ApproverByMatrixID(b.Voter)
		if !ok {
			return b.Voter, "not an approver"
		}
		if !MayVote(req, approver.Name) {
			return approver.Name, "not an approver for this request (policy " + req.Policy + ")"
		}
		return approver.Name, ""
	}
	approver, key, ok, err := s.keys.Owner(ctx, b.Signed.KeyID)
	if err != nil {
		return b.Voter, "could not read the enrolled keys: " + err.Error()
	}
	if !ok {
		return b.Voter, "signed by an unknown or revoked key"
	}
	if !MayVote(req, approver.Name) {
		return approver.Name, "not an approver for this request (policy " + req.Policy + ")"
	}
	if err := b.Signed.VerifySignature(key); err != nil {
		return approver.Name, reasonFor(err)
	}
	if err := b.Signed.CheckBinding(req.ID, BindingOf(req), req.ExpiresAt, s.now()); err != nil {
		return approver.Name, reasonFor(err)
	}
	return approver.Name, ""
}

// spend uses up a signed vote's token; other ballots need nothing spent.
func (s *Service) spend(ctx context.Context, b Ballot, req *store.Request) (reason string, counted bool) {
	if b.Passkey != nil {
		return s.spendPasskey(ctx, b.Passkey, req)
	}
	if b.Signed == nil {
		return "counted", true
	}
	hash := crypto.TokenHash(b.Signed.Token)
	ok, err := s.store.SpendChallenge(ctx, req.ID, b.Signed.KeyID, hash, s.now())
	if err != nil {
		return "could not record the vote: " + err.Error(), false
	}
	if ok {
		return "counted", true
	}
	ch, err := s.store.ChallengeByTokenHash(ctx, hash)
	switch {
	case err != nil || ch.KeyID != b.Signed.KeyID:
		return "signed with a token this gateway never issued to that key", false
	case ch.RequestID != req.ID:
		return "wrong request: the token belongs to another request", false
	default:
		return "already used: each signed approval counts once", false
	}
}

// MayVote reports whether a person is among a request's approvers.
func MayVote(req *store.Request, person string) bool {
	return len(req.Approvers) == 0 || slices.Contains(req.Approvers, person)
}

func reasonFor(err error) string {
	for _, e := range []error{crypto.ErrBadSignature, crypto.ErrWrongRequest, crypto.ErrWrongBinding, crypto.ErrExpired, crypto.ErrUnknownKey, crypto.ErrMalformed} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "refused"
}

// decideIfDone moves the request to approved or denied when the counted votes say so.
func (s *Service) decideIfDone(ctx context.Context, res *Result) error {
	req := res.Request
	t := Tally(res.Votes)
	var to store.RequestState
	var outcome string
	var by []string
	switch {
	case t.Denials >= max(req.DenyThreshold, 1):
		to, outcome, by = store.RequestDenied, req.OnDeny, t.DeniedBy
	case t.Approvals >= req.Quorum:
		to, outcome, by = store.RequestApproved, req.OnApprove, t.ApprovedBy
	default:
		return nil
	}
	now := s.now()
	ok, err := s.store.TransitionRequest(ctx, req.ID, store.Transition{
		From: []store.RequestState{store.RequestPending}, To: to, Verdict: to, DecidedBy: joinNames(by), Outcome: outcome, DecidedAt: now,
	})
	if err != nil || !ok {
		return err
	}
	if err = s.store.AppendAudit(ctx, "request_"+string(to), req.ID, map[string]any{"by": by, "outcome": outcome}); err != nil {
		return err
	}
	req.State, req.Verdict, req.DecidedBy, req.Outcome, req.DecidedAt = to, to, joinNames(by), outcome, now
	metrics.DecisionSeconds.Observe(now.Sub(req.CreatedAt).Seconds())
	res.Decided = true
	return nil
}
