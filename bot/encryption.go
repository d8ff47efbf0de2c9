package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/config"
)

// probeFilter asks /sync for nothing: the probe only wants to know whether the homeserver
// serves it. Nothing it returns is acknowledged (no later request carries its next_batch), so
// to-device messages in it are delivered again to the bot's real sync loop.
const probeFilter = `{"room":{"rooms":[]},"presence":{"types":[]},"account_data":{"types":[]}}`

// ErrSyncRefused says the homeserver answers /sync for the appservice's bot with an error:
// Synapse does ("We no longer support AS users using /sync directly", HTTP 500).
var ErrSyncRefused = errors.New("the homeserver refuses /sync to the appservice's bot (Synapse does)")

// ProbeSync asks the homeserver once whether it serves /sync to cli's user. It returns
// ErrSyncRefused when the homeserver answers with an error, and any other error when it could
// not be asked.
func ProbeSync(ctx context.Context, cli *mautrix.Client) error {
	probeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := cli.SyncRequest(probeCtx, 0, "", probeFilter, false, "")
	var httpErr mautrix.HTTPError
	if errors.As(err, &httpErr) && httpErr.Response != nil {
		return fmt.Errorf("%w: HTTP %d %s", ErrSyncRefused, httpErr.Response.StatusCode, httpErr.Message)
	}
	if err != nil {
		return fmt.Errorf("asking the homeserver for /sync: %w", err)
	}
	return nil
}

// asksForTransactions reports whether a registration asks the homeserver to push what the
// bot's encryption needs in transactions (MSC2409 to-device events, MSC3202 device lists).
func asksForTransactions(reg *appservice.Registration) bool {
	return reg.MSC3202 && (reg.EphemeralEvents || reg.SoruEphemeralEvents)
}

// ChooseEncryption settles appservice.encryption against what the homeserver serves: "sync"
// needs /sync for the bot (Dendrite serves it, Synapse does not); "appservice" needs the
// transactions the registration asks for; "auto" takes /sync where it is served and
// transactions where not. A mode the homeserver cannot serve stops the start, naming the
// setting to change: silence here once meant a bot that read no vote at all.
func ChooseEncryption(ctx context.Context, want string, reg *appservice.Registration, cli *mautrix.Client) (string, error) {
	if want == config.EncryptionAppservice {
		return want, nil
	}
	err := ProbeSync(ctx, cli)
	switch {
	case err == nil:
		return config.EncryptionSync, nil
	case !errors.Is(err, ErrSyncRefused):
		return "", err
	case want == config.EncryptionSync:
		return "", fmt.Errorf("appservice.encryption is sync, but %w: set appservice.encryption: auto (or appservice), "+
			"regenerate the registration with `seedgate -g` and give the homeserver the new file (on Synapse also enable its "+
			"experimental_features msc2409_to_device_messages_enabled and msc3202_transaction_extensions; see docs/operating.md)", err)
	case !asksForTransactions(reg):
		return "", fmt.Errorf("%w, so the bot's encryption needs appservice transactions (MSC2409, MSC3202), and the registration "+
			"does not ask for them: regenerate it with `seedgate -g` and give the homeserver the new file", err)
	}
	zerolog.Ctx(ctx).Info().Err(err).Msg("The homeserver serves no /sync to the bot; using appservice transactions for encryption")
	return config.EncryptionAppservice, nil
}

// catchUpAfterAbsence makes up, in appservice mode, for what the homeserver does not keep for
// an appservice that was down: Synapse neither persists nor resends the ephemeral part of
// transactions (to-device events, device-list changes), so a device an approver added meanwhile
// would never get the keys for later cards. The bot asks for every member's devices again,
// which also starts new outbound sessions where a device list changed.
func (b *Bot) catchUpAfterAbsence(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	users := b.approverUserIDs()
	for _, m := range b.cfg.Matrix.Observers {
		users = append(users, id.UserID(m))
	}
	if _, err := b.crypto.Machine().FetchKeys(ctx, users, true); err != nil {
		log.Warn().Err(err).Msg("Asking for the members' devices again failed")
	}
}

// pingHomeserver asks the homeserver to reach the appservice now: Synapse retries a down
// appservice with back-off (up to minutes), and a ping makes it send the queued transactions
// at once. The transaction pump must already be running to take them.
func (b *Bot) pingHomeserver(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	if _, err := b.as.BotClient().AppservicePing(ctx, b.reg.ID, ""); err != nil {
		log.Warn().Err(err).Msg("Appservice ping failed; the homeserver may wait out its back-off before sending queued transactions")
	} else {
		log.Info().Msg("Homeserver pinged: queued transactions come now")
	}
}
