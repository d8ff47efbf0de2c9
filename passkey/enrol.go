package passkey

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

var b64 = base64.RawURLEncoding

// IssueEnrolment makes a one-time enrolment link for person, asked for by by (a Matrix user
// and device), and returns its URL. Only the token's hash is stored.
func (s *Server) IssueEnrolment(ctx context.Context, person, by string) (string, time.Time, error) {
	token := crypto.NewToken()
	expires := s.now().Add(EnrolmentTTL)
	if err := s.store.InsertPasskeyEnrolment(ctx, &store.PasskeyEnrolment{
		TokenHash: crypto.TokenHash(token), Person: person, IssuedBy: by, ExpiresAt: expires,
	}); err != nil {
		return "", time.Time{}, err
	}
	return s.cfg.Passkeys.Origin() + "/e/" + b64.EncodeToString(token), expires, nil
}

// enrolment returns the link a page's token names while it may still be used.
func (s *Server) enrolment(ctx context.Context, r *http.Request) (*store.PasskeyEnrolment, error) {
	token, err := b64.DecodeString(r.PathValue("token"))
	if err != nil || len(token) != crypto.TokenBytes {
		return nil, refuse(http.StatusNotFound, "this enrolment link is not one seedgate made")
	}
	e, err := s.store.GetPasskeyEnrolment(ctx, crypto.TokenHash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, refuse(http.StatusNotFound, "this enrolment link is not one seedgate made")
	case err != nil:
		return nil, err
	case !e.UsedAt.IsZero():
		return nil, refuse(http.StatusGone, "this enrolment link was already used: each registers one passkey. Ask for a new one with `!sg passkey`")
	case !s.now().Before(e.ExpiresAt):
		return nil, refuse(http.StatusGone, "this enrolment link expired. Ask for a new one with `!sg passkey`")
	}
	return e, nil
}

// personFor is the go-webauthn user a passkey is registered to, with their passkeys in use
// (so the authenticator refuses to register a second one for the same person).
func (s *Server) personFor(ctx context.Context, name string) (*person, error) {
	keys, err := s.store.ListPasskeys(ctx, name)
	if err != nil {
		return nil, err
	}
	p := &person{name: name, handle: crypto.PasskeyUserHandle(s.secret, name)}
	for _, k := range keys {
		if k.State == store.PasskeyRevoked {
			continue
		}
		c, err := credentialOf(k)
		if err != nil {
			return nil, err
		}
		p.credentials = append(p.credentials, c)
	}
	return p, nil
}

func (s *Server) enrolBegin(ctx context.Context, r *http.Request, _ []byte) (any, error) {
	e, err := s.enrolment(ctx, r)
	if err != nil {
		return nil, err
	}
	user, err := s.personFor(ctx, e.Person)
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(user.credentials))
	for _, c := range user.credentials {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := s.wa.BeginRegistration(user, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("passkey: begin registration: %w", err)
	}
	session.Expires = e.ExpiresAt
	raw, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	if ok, err := s.store.SetPasskeyEnrolmentSession(ctx, e.TokenHash, string(raw), s.now()); err != nil {
		return nil, err
	} else if !ok {
		return nil, refuse(http.StatusGone, "this enrolment link was used or expired a moment ago")
	}
	return creation, nil
}

func (s *Server) enrolFinish(ctx context.Context, r *http.Request, body []byte) (any, error) {
	e, err := s.enrolment(ctx, r)
	if err != nil {
		return nil, err
	}
	var session webauthn.SessionData
	if e.Session == "" || json.Unmarshal([]byte(e.Session), &session) != nil {
		return nil, refuse(http.StatusConflict, "press the button first: no registration was begun with this link")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, ceremonyRefusal(err)
	}
	user, err := s.personFor(ctx, e.Person)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.CreateCredential(user, session, parsed)
	if err != nil {
		return nil, ceremonyRefusal(err)
	}
	if !cred.Flags.UserVerified {
		return nil, refuse(http.StatusForbidden, "the authenticator did not verify you (no PIN or biometric): seedgate needs user verification")
	}
	aaguid := aaguidOf(cred.Authenticator.AAGUID)
	if why := s.attestationRefusal(cred.AttestationFormat, aaguid); why != "" {
		return nil, refuse(http.StatusForbidden, "%s", why)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	key := &store.Passkey{
		CredentialID: b64.EncodeToString(cred.ID), Person: e.Person, Credential: string(raw),
		SignCount: int64(cred.Authenticator.SignCount), AAGUID: aaguid, Attestation: attestationName(cred.AttestationFormat),
	}
	code := crypto.NewMatchCode()
	key.ConfirmCode = crypto.NormalizeMatchCode(code)
	ok, err := s.store.FinishPasskeyEnrolment(ctx, e.TokenHash, key, s.now())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(http.StatusGone, "this enrolment link was used or expired a moment ago")
	}
	zerolog.Ctx(ctx).Info().Str("person", e.Person).Str("credential_id", key.CredentialID).Str("aaguid", aaguid).
		Str("attestation", key.Attestation).Msg("Passkey registered, waiting for confirmation")
	if s.notices != nil {
		s.notices.PasskeyRegistered(ctx, e.Person, key)
	}
	return map[string]string{"code": code, "person": e.Person}, nil
}

func aaguidOf(raw []byte) string {
	u, err := uuid.FromBytes(raw)
	if err != nil {
		return uuid.Nil.String()
	}
	return u.String()
}

func attestationName(format string) string {
	if format == "" {
		return "none"
	}
	return format
}
