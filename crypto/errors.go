package crypto

import "errors"

// Reasons a blob, a key or a signed vote is refused. Callers branch on these and show them to
// people; none of them carries key material or tokens.
var (
	ErrMalformed     = errors.New("malformed")
	ErrUnknownKey    = errors.New("unknown key")
	ErrRevokedKey    = errors.New("revoked key")
	ErrBadSignature  = errors.New("bad signature")
	ErrWrongRequest  = errors.New("wrong request")
	ErrWrongBinding  = errors.New("wrong binding (another torrent, action, client or host)")
	ErrExpired       = errors.New("expired")
	ErrNotYetValid   = errors.New("not yet valid")
	ErrAlreadyUsed   = errors.New("already used")
	ErrCannotOpen    = errors.New("cannot open: not sealed to this key, or altered")
	ErrWrongKey      = errors.New("sealed to another key")
	ErrReplayedNonce = errors.New("replayed nonce")
)
