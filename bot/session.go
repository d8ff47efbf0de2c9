package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/nacl/secretbox"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// sessionKVKey is where the bot's device and access token are kept between runs, sealed with
// a key derived from the pickle key: the database may live on another machine (PostgreSQL),
// the pickle key stays in keys_dir.
//
// Keeping one token matters beyond saving a login per start. Homeservers recognise a repeated
// send by (access token, transaction id): a card sent again after a crash, under the same
// transaction id, is answered with the event the homeserver already has only if the token is
// the same. A new login would mint a new token and the card would show twice.
const sessionKVKey = "bot/session"

func sessionBoxKey(pickleKey []byte) *[32]byte {
	key := sha256.Sum256(append([]byte("seedgate bot session v1\x00"), pickleKey...))
	return &key
}

// keptSession returns the device and token kept from the last run, or an empty token.
func (b *Bot) keptSession(ctx context.Context, pickleKey []byte) (id.DeviceID, string, error) {
	sealed, err := b.store.GetKV(ctx, sessionKVKey)
	if err != nil || sealed == "" {
		return "", "", err
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < 24 {
		return "", "", errors.New("bot: the kept session in the database is malformed")
	}
	var nonce [24]byte
	copy(nonce[:], raw[:24])
	plain, ok := secretbox.Open(nil, raw[24:], &nonce, sessionBoxKey(pickleKey))
	if !ok {
		// Another pickle key sealed it (keys_dir was replaced): the token is useless, log in.
		return "", "", nil
	}
	device, token, ok := strings.Cut(string(plain), "\x00")
	if !ok {
		return "", "", errors.New("bot: the kept session in the database is malformed")
	}
	return id.DeviceID(device), token, nil
}

// keepSession seals the client's device and token into the database, if they changed.
func (b *Bot) keepSession(ctx context.Context, pickleKey []byte, cli *mautrix.Client) error {
	device, token, err := b.keptSession(ctx, pickleKey)
	if err != nil || (device == cli.DeviceID && token == cli.AccessToken) {
		return err
	}
	var nonce [24]byte
	if _, err = rand.Read(nonce[:]); err != nil {
		return err
	}
	sealed := secretbox.Seal(nonce[:], []byte(cli.DeviceID.String()+"\x00"+cli.AccessToken), &nonce, sessionBoxKey(pickleKey))
	if err = b.store.SetKV(ctx, sessionKVKey, base64.StdEncoding.EncodeToString(sealed)); err != nil {
		return fmt.Errorf("bot: keeping the session: %w", err)
	}
	return nil
}
