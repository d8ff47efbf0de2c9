package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/nacl/secretbox"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// sessionKVKey is where the bot's device and access token are kept between runs, sealed with
// a key derived from the pickle key: the database may live on another machine (PostgreSQL),
// the pickle key stays in keys_dir.
//
// Keeping one token matters beyond saving a login per start. Homeservers recognise a repeated
// send by (access token, transaction id); a new login would mint a new token, and a card sent
// again after a crash could show twice where the homeserver still holds the transaction.
// (Where it does not, readRecentCards is the backstop.)
const sessionKVKey = "bot/session"

func sessionBoxKey(pickleKey []byte) *[32]byte {
	key := sha256.Sum256(append([]byte("seedgate bot session v1\x00"), pickleKey...))
	return &key
}

// sealSession seals a device id and its access token with the pickle key.
func sealSession(pickleKey []byte, device id.DeviceID, token string) (string, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	sealed := secretbox.Seal(nonce[:], []byte(device.String()+"\x00"+token), &nonce, sessionBoxKey(pickleKey))
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// openSession opens what sealSession sealed; ok is false for anything else, including a
// session sealed under another pickle key.
func openSession(pickleKey []byte, sealed string) (device id.DeviceID, token string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < 24 {
		return "", "", false
	}
	var nonce [24]byte
	copy(nonce[:], raw[:24])
	plain, ok := secretbox.Open(nil, raw[24:], &nonce, sessionBoxKey(pickleKey))
	if !ok {
		return "", "", false
	}
	d, token, ok := strings.Cut(string(plain), "\x00")
	return id.DeviceID(d), token, ok && d != "" && token != ""
}

// keptSession returns the device and token kept from the last run, or an empty token. One
// that cannot be opened (keys_dir was replaced, the row was damaged) is ignored: the bot logs
// in again and keeps the new one.
func (b *Bot) keptSession(ctx context.Context, pickleKey []byte) (id.DeviceID, string, error) {
	sealed, err := b.store.GetKV(ctx, sessionKVKey)
	if err != nil || sealed == "" {
		return "", "", err
	}
	device, token, ok := openSession(pickleKey, sealed)
	if !ok {
		zerolog.Ctx(ctx).Warn().Msg("The kept bot session cannot be opened with this pickle key; logging in again")
		return "", "", nil
	}
	return device, token, nil
}

// keepSession seals the client's device and token into the database, if they changed.
func (b *Bot) keepSession(ctx context.Context, pickleKey []byte, cli *mautrix.Client) error {
	device, token, err := b.keptSession(ctx, pickleKey)
	if err != nil || (device == cli.DeviceID && token == cli.AccessToken) {
		return err
	}
	sealed, err := sealSession(pickleKey, cli.DeviceID, cli.AccessToken)
	if err != nil {
		return err
	}
	if err = b.store.SetKV(ctx, sessionKVKey, sealed); err != nil {
		return fmt.Errorf("bot: keeping the session: %w", err)
	}
	return nil
}
