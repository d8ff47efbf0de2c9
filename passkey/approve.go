package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// linkedRequest is the request an approval link names, and the person it was made for.
type linkedRequest struct {
	req    *store.Request
	person string // "" for any of the request's approvers
}

// linked reads the request a page's token names. A token seedgate did not make, or one for
// a request it does not have, is refused without saying which.
func (s *Server) linked(ctx context.Context, r *http.Request) (*linkedRequest, error) {
	id, who, err := crypto.ParseApprovalLink(s.secret, r.PathValue("token"))
	if err != nil {
		return nil, refuse(http.StatusNotFound, "%s", err)
	}
	req, err := s.store.GetRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(http.StatusNotFound, "%s", crypto.ErrBadLink)
	} else if err != nil {
		return nil, err
	}
	return &linkedRequest{req: req, person: who}, nil
}

// closedReason says why a request takes no more votes through its link, or "".
func (s *Server) closedReason(ctx context.Context, l *linkedRequest) (string, error) {
	switch {
	case l.req.State != store.RequestPending:
		return "this request is already " + string(l.req.State) + decidedBy(l.req), nil
	case !s.now().Before(l.req.ExpiresAt):
		return "this link expired with its request", nil
	case l.person == "":
		return "", nil
	}
	votes, err := s.store.ListVotes(ctx, l.req.ID)
	if err != nil {
		return "", err
	}
	for _, v := range votes {
		if v.Counted && v.Person == l.person && v.Assurance == approval.AssurancePasskey {
			return "this link was used: " + l.person + "'s passkey vote on this request counted already", nil
		}
	}
	return "", nil
}

func decidedBy(req *store.Request) string {
	if req.DecidedBy == "" {
		return ""
	}
	return " (by " + req.DecidedBy + ")"
}

// approvalBegin hands the browser a fresh nonce and the challenge the passkey must sign for
// this request and the outcome the person pressed.
func (s *Server) approvalBegin(ctx context.Context, r *http.Request, body []byte) (any, error) {
	l, err := s.linked(ctx, r)
	if err != nil {
		return nil, err
	}
	var call struct {
		Outcome string `json:"outcome"`
	}
	if err = json.Unmarshal(body, &call); err != nil || !slices.Contains([]string{string(store.DecisionApprove), string(store.DecisionDeny), outcomeReveal}, call.Outcome) {
		return nil, refuse(http.StatusBadRequest, "outcome must be approve, deny or reveal")
	}
	if why, err := s.closedReason(ctx, l); err != nil || why != "" {
		if err != nil {
			return nil, err
		}
		return nil, refuse(http.StatusGone, "%s", why)
	}
	open, err := s.store.CountOpenPasskeyNonces(ctx, l.req.ID, s.now())
	if err != nil {
		return nil, err
	}
	if open >= maxOpenNonces {
		return nil, refuse(http.StatusTooManyRequests, "too many unanswered taps on this request; wait a minute")
	}
	nonce := crypto.NewPasskeyNonce()
	challenge := crypto.PasskeyChallenge(l.req.ID, approval.BindingOf(l.req), call.Outcome, nonce)
	assertion, _, err := s.wa.BeginDiscoverableLogin(webauthn.WithChallenge(challenge), webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("passkey: begin assertion: %w", err)
	}
	expires := s.now().Add(nonceTTL)
	if l.req.ExpiresAt.Before(expires) {
		expires = l.req.ExpiresAt
	}
	if err = s.store.InsertPasskeyNonce(ctx, &store.PasskeyNonce{
		NonceHash: crypto.TokenHash(nonce), RequestID: l.req.ID, Person: l.person, Outcome: call.Outcome, ExpiresAt: expires,
	}, s.now()); err != nil {
		return nil, err
	}
	return map[string]any{"nonce": b64.EncodeToString(nonce), "publicKey": assertion.Response}, nil
}

// approvalFinish checks the passkey's answer against the challenge recomputed from the stored
// request, the nonce's outcome and the nonce, then votes. An answer refused before it reaches
// the vote goes into the audit log with its reason, as a vote that does not count does.
func (s *Server) approvalFinish(ctx context.Context, r *http.Request, body []byte) (any, error) {
	l, err := s.linked(ctx, r)
	if err != nil {
		return nil, err
	}
	out, err := s.finishTap(ctx, l, body)
	var ref *refusal
	if errors.As(err, &ref) {
		if auditErr := s.store.AppendAudit(ctx, "passkey_refused", l.req.ID, map[string]any{"reason": ref.reason, "link_person": l.person}); auditErr != nil {
			return nil, auditErr
		}
	}
	return out, err
}

// finishTap is approvalFinish for a request the link named.
func (s *Server) finishTap(ctx context.Context, l *linkedRequest, body []byte) (any, error) {
	var call struct {
		Nonce      string          `json:"nonce"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := json.Unmarshal(body, &call); err != nil {
		return nil, refuse(http.StatusBadRequest, "the call needs nonce and credential")
	}
	nonce, err := b64.DecodeString(call.Nonce)
	if err != nil || len(nonce) != crypto.PasskeyNonceBytes {
		return nil, refuse(http.StatusBadRequest, "the nonce is malformed")
	}
	n, err := s.store.GetPasskeyNonce(ctx, crypto.TokenHash(nonce))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, refuse(http.StatusForbidden, "refused: seedgate never gave out that nonce")
	case err != nil:
		return nil, err
	case n.RequestID != l.req.ID || n.Person != l.person:
		return nil, refuse(http.StatusForbidden, "refused: that nonce was given out for another request's link")
	case !n.UsedAt.IsZero():
		return nil, refuse(http.StatusGone, "refused: this approval was already used; each counts once")
	case !s.now().Before(n.ExpiresAt):
		return nil, refuse(http.StatusGone, "refused: too long between the button and the passkey; press it again")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(call.Credential)
	if err != nil {
		return nil, ceremonyRefusal(err)
	}
	challenge := crypto.PasskeyChallenge(l.req.ID, approval.BindingOf(l.req), n.Outcome, nonce)
	session := webauthn.SessionData{
		Challenge: b64.EncodeToString(challenge), RelyingPartyID: s.cfg.Passkeys.RPID(),
		UserVerification: protocol.VerificationRequired, Expires: n.ExpiresAt,
	}
	var key *store.Passkey
	owner := func(rawID, userHandle []byte) (webauthn.User, error) {
		var err error
		if key, err = s.usablePasskey(ctx, rawID, userHandle); err != nil {
			return nil, err
		}
		c, err := credentialOf(key)
		if err != nil {
			return nil, err
		}
		return &person{name: key.Person, handle: userHandle, credentials: []webauthn.Credential{c}}, nil
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(owner, session, parsed)
	if err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			return nil, ref
		}
		return nil, s.refuseChallenge(err, parsed, challenge)
	}
	if cred.Authenticator.CloneWarning {
		return nil, refuse(http.StatusForbidden, "refused: the passkey's sign count went back (%d after %d): a cloned authenticator?",
			parsed.Response.AuthenticatorData.Counter, key.SignCount)
	}
	if why := s.attestationRefusal(key.Attestation, key.AAGUID); why != "" {
		return nil, refuse(http.StatusForbidden, "refused: %s", why)
	}
	if why := s.policyAttestationRefusal(l.req.Policy, key.Attestation, key.AAGUID); why != "" && n.Outcome != outcomeReveal {
		return nil, refuse(http.StatusForbidden, "refused: %s", why)
	}
	if n.Outcome == outcomeReveal {
		return s.reveal(ctx, l, key, n, int64(cred.Authenticator.SignCount))
	}
	res, err := s.votes.Vote(ctx, approval.Ballot{
		RequestID: l.req.ID, Voter: key.Person, Decision: store.Decision(n.Outcome), Source: "passkey " + key.CredentialID,
		Passkey: &approval.PasskeyProof{
			CredentialID: key.CredentialID, Person: key.Person, NonceHash: n.NonceHash, LinkPerson: l.person,
			OldCount: key.SignCount, NewCount: int64(cred.Authenticator.SignCount),
		},
	})
	if err != nil {
		return nil, err
	}
	if s.notices != nil {
		s.notices.PasskeyVoted(ctx, key.Person, res)
	}
	return map[string]any{"counted": res.Counted, "reason": res.Reason, "decision": res.Decision, "state": res.Request.State,
		"person": key.Person}, nil
}

// usablePasskey returns the active passkey an assertion names, if its user handle is its
// owner's.
func (s *Server) usablePasskey(ctx context.Context, rawID, userHandle []byte) (*store.Passkey, error) {
	key, err := s.store.GetPasskey(ctx, b64.EncodeToString(rawID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, refuse(http.StatusForbidden, "refused: this passkey is not enrolled here")
	case err != nil:
		return nil, err
	case key.State == store.PasskeyPending:
		return nil, refuse(http.StatusForbidden, "refused: this passkey is not confirmed yet (`!sg passkey confirm <confirmation code>` in your direct-message room)")
	case key.State != store.PasskeyActive:
		return nil, refuse(http.StatusForbidden, "refused: this passkey is %s", key.State)
	case !bytes.Equal(userHandle, crypto.PasskeyUserHandle(s.secret, key.Person)):
		return nil, refuse(http.StatusForbidden, "refused: the passkey's user handle is not its owner's")
	}
	return key, nil
}

// refuseChallenge names a challenge mismatch as what it is: an assertion made for another
// request or outcome. Other failures keep go-webauthn's words.
func (s *Server) refuseChallenge(err error, parsed *protocol.ParsedCredentialAssertionData, want []byte) *refusal {
	if !bytes.Equal([]byte(parsed.Response.CollectedClientData.Challenge), []byte(b64.EncodeToString(want))) {
		return refuse(http.StatusForbidden, "refused: this passkey signed another request or another outcome, not this one")
	}
	return ceremonyRefusal(err)
}

// outcomeReveal is a tap that shows a courier link's request to its person instead of voting.
const outcomeReveal = "reveal"

// reveal answers a reveal tap with the request's details: a link that went through a courier
// names its person and shows nothing else until that person's passkey asks (the courier holds
// the link too, and must not learn the torrent, its hash or its host).
func (s *Server) reveal(ctx context.Context, l *linkedRequest, key *store.Passkey, n *store.PasskeyNonce, count int64) (any, error) {
	if key.Person != l.person && l.person != "" {
		return nil, refuse(http.StatusForbidden, "refused: this link was made for %s, not for %s", l.person, key.Person)
	}
	if !approval.MayVote(l.req, key.Person) {
		return nil, refuse(http.StatusForbidden, "refused: %s is not an approver for this request", key.Person)
	}
	ok, err := s.store.SpendPasskeyReveal(ctx, n, key.CredentialID, key.SignCount, count, s.now())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(http.StatusGone, "refused: this tap was already used, or the passkey's sign count moved meanwhile; press it again")
	}
	view, err := s.describe(ctx, l)
	if err != nil {
		return nil, err
	}
	return map[string]any{"request": view}, nil
}
