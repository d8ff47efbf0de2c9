package approval

import (
	"context"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// BindingOf is what a request binds an approval to: the exact client, torrent, action and host.
func BindingOf(req *store.Request) crypto.Binding {
	return crypto.Binding{Client: req.Client, TorrentHash: req.TorrentHash, Action: req.Action, Host: req.Host}
}

// sealChallenges seals the request, with a fresh single-use token, to every enrolled device of
// every approver. Only the token's hash is stored; the token itself leaves only inside the box.
func (s *Service) sealChallenges(ctx context.Context, req *store.Request) error {
	if s.gateway == nil {
		return nil
	}
	keys, err := s.keys.Keys(ctx)
	if err != nil {
		return err
	}
	for _, ek := range keys {
		token := crypto.NewToken()
		blob, err := crypto.SealChallenge(s.gateway, ek.Key, crypto.Challenge{
			RequestID: req.ID, Binding: BindingOf(req), TorrentName: req.TorrentName, TorrentSize: req.TorrentSize,
			IssuedAt: req.CreatedAt, ExpiresAt: req.ExpiresAt, MatchCode: req.MatchCode, Token: token,
			OnApprove: req.OnApprove, OnDeny: req.OnDeny,
		})
		if err != nil {
			return err
		}
		if err = s.store.InsertChallenge(ctx, &store.Challenge{
			RequestID: req.ID, KeyID: ek.Key.ID, TokenHash: crypto.TokenHash(token), Blob: blob,
		}); err != nil {
			return err
		}
	}
	return nil
}
