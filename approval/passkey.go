package approval

import (
	"context"
	"errors"

	"github.com/seedgate/seedgate/store"
)

// PasskeyProof is a passkey assertion that the passkey package has verified: origin, RP id,
// user verification, the signature over a challenge it recomputed from this request's binding,
// the outcome and the nonce, and a sign count that went forward. What is left needs the
// vote's transaction: the passkey still active and still this person's, the nonce spent once,
// the count advanced from what was read (a clone racing the original loses).
type PasskeyProof struct {
	CredentialID string
	Person       string
	NonceHash    string
	OldCount     int64
	NewCount     int64
	// LinkPerson is the person the link was made for ("" for any of the request's approvers).
	LinkPerson string
}

// identifyPasskey names the person behind a passkey vote, or says why it cannot count.
func (s *Service) identifyPasskey(ctx context.Context, p *PasskeyProof, req *store.Request) (person, reason string) {
	key, err := s.store.GetPasskey(ctx, p.CredentialID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return p.Person, "an unknown passkey"
	case err != nil:
		return p.Person, "could not read the passkeys: " + err.Error()
	case key.State != store.PasskeyActive:
		return key.Person, "this passkey is " + string(key.State)
	case key.Person != p.Person:
		return key.Person, "this passkey belongs to someone else"
	}
	if _, ok := s.cfg.Approver(key.Person); !ok {
		return key.Person, "not an approver"
	}
	if p.LinkPerson != "" && p.LinkPerson != key.Person {
		return key.Person, "this link was made for " + p.LinkPerson + ", not for " + key.Person
	}
	if !MayVote(req, key.Person) {
		return key.Person, "not an approver for this request (policy " + req.Policy + ")"
	}
	return key.Person, ""
}

// spendPasskey uses up the assertion's nonce and moves the passkey's sign count forward.
func (s *Service) spendPasskey(ctx context.Context, p *PasskeyProof, req *store.Request) (reason string, counted bool) {
	ok, err := s.store.SpendPasskeyNonce(ctx, p.NonceHash, req.ID, s.now())
	if err != nil {
		return "could not record the vote: " + err.Error(), false
	}
	if !ok {
		return "already used, expired or for another request: each passkey approval counts once", false
	}
	if ok, err = s.store.AdvancePasskeyCount(ctx, p.CredentialID, p.OldCount, p.NewCount); err != nil {
		return "could not record the vote: " + err.Error(), false
	}
	if !ok {
		return "the passkey's sign count did not move forward (a cloned authenticator?)", false
	}
	return "counted", true
}
