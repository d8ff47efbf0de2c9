package bot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"

	sgcrypto "github.com/seedgate/seedgate/crypto"
)

// recoveryKeyFile holds the recovery key of the bot's secret storage, where its cross-signing
// private keys live. Losing it means the bot cannot re-sign a new device without a password it
// does not have.
const recoveryKeyFile = "recovery.key"

// ensureCrossSigned makes the bot's device cross-signed by the bot, so clients that hide
// messages from unsigned devices (MSC4153) show its cards. The first start generates the keys,
// signs the device and keeps the recovery key; later starts restore the keys with it.
func (b *Bot) ensureCrossSigned(ctx context.Context) error {
	log := zerolog.Ctx(ctx)
	mach := b.crypto.Machine()
	path := filepath.Join(b.cfg.Database.KeysDir, recoveryKeyFile)
	stored, err := sgcrypto.LoadSecret(path)
	switch {
	case err == nil:
		if err = mach.VerifyWithRecoveryKey(ctx, string(stored)); err != nil {
			return fmt.Errorf("restoring the bot's cross-signing keys with %s: %w", path, err)
		}
		log.Debug().Msg("Cross-signing keys restored; device signed")
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	keys, err := b.client.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{b.client.UserID: {}}})
	if err != nil {
		return fmt.Errorf("reading the bot's cross-signing keys: %w", err)
	}
	if len(keys.MasterKeys[b.client.UserID].Keys) > 0 {
		// Replacing published keys needs interactive auth the bot cannot give: say so, and go
		// on with an unsigned device rather than refuse to run.
		log.Warn().Str("recovery_key_file", path).Msg("The bot has cross-signing keys on the server but their recovery key file is missing; its device stays unsigned")
		return nil
	}
	recoveryKey, err := mach.GenerateAndVerifyWithRecoveryKey(ctx)
	if err != nil {
		return fmt.Errorf("cross-signing the bot's device: %w", err)
	}
	if err = sgcrypto.WriteSecret(path, []byte(recoveryKey)); err != nil {
		return fmt.Errorf("keeping the bot's recovery key: %w", err)
	}
	log.Info().Str("recovery_key_file", path).Msg("Bot device cross-signed; recovery key stored")
	return nil
}
