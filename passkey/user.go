package passkey

import (
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/seedgate/seedgate/store"
)

// person is a seedgate approver as go-webauthn sees them: a user handle derived under the link
// secret, and their passkeys.
type person struct {
	name        string
	handle      []byte
	credentials []webauthn.Credential
}

func (p *person) WebAuthnID() []byte                         { return p.handle }
func (p *person) WebAuthnName() string                       { return p.name }
func (p *person) WebAuthnDisplayName() string                { return p.name }
func (p *person) WebAuthnCredentials() []webauthn.Credential { return p.credentials }

// credentialOf reads go-webauthn's record of a stored passkey.
func credentialOf(p *store.Passkey) (webauthn.Credential, error) {
	var c webauthn.Credential
	if err := json.Unmarshal([]byte(p.Credential), &c); err != nil {
		return c, fmt.Errorf("passkey: stored credential %s is unreadable: %w", p.CredentialID, err)
	}
	// The stored count is the one votes advance; the JSON keeps the count at enrolment.
	c.Authenticator.SignCount = uint32(p.SignCount)
	return c, nil
}
