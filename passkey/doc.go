// Package passkey serves seedgate's public pages: enrolling a passkey from a one-time link, and
// approving or denying a request with one. Each approval is a WebAuthn assertion whose
// challenge is the canonical binding of request, torrent, action, host, outcome and a fresh
// nonce (crypto.PasskeyChallenge); go-webauthn checks origin, relying-party id, user
// verification and the signature, this package checks the binding and the sign count, and
// the vote's transaction spends the nonce and advances the count (approval.PasskeyProof).
//
// The pages are one embedded HTML template with a strict Content-Security-Policy: no
// external assets, and nothing but the two buttons needs JavaScript.
package passkey
