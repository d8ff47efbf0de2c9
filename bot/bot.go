package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/backoff"
	"github.com/seedgate/seedgate/config"
	sgcrypto "github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/passkey"
	"github.com/seedgate/seedgate/store"
)

// Bot is the appservice's bot user with its encrypted device.
type Bot struct {
	cfg       *config.Config
	reg       *appservice.Registration
	store     *store.Store
	approvals *approval.Service // what votes go to, given to Start

	as       *appservice.AppService
	server   *http.Server
	client   *mautrix.Client
	crypto   *cryptohelper.CryptoHelper
	rooms    map[string]id.RoomID // card rooms by group ("" = the main approvals room)
	sent     sentCards            // cards sent by this run or read back at start
	dms      map[id.UserID]id.RoomID
	dmOwners map[id.RoomID]id.UserID
	members  map[id.UserID]bool // approvers and observers: everyone the main room invites
	mentions *mentionLimiter
	redraws  *digestRedraws // digest cards to redraw (see redraw.go)
	seeds    *seedQueue     // cards to put ✅ and ❌ under (see seed_reactions.go)
	verifier *verifier
	// encryption is the mode Start settled on: sync or appservice (ChooseEncryption).
	encryption string
	inbox      *transactionInbox // appservice transactions kept until handled
	// enrollNonces are the open `!sg enroll` nonces.
	enrollNonces enrollNonces
	// passkeys serves the passkey pages; nil when passkeys.listen is not set.
	passkeys *passkey.Server
}

var _ approval.Notifier = (*Bot)(nil)

// New returns a bot; Start brings it up.
func New(cfg *config.Config, reg *appservice.Registration, st *store.Store) *Bot {
	members := map[id.UserID]bool{}
	for _, a := range cfg.Approvers {
		for _, m := range a.MatrixIDs {
			members[id.UserID(m)] = true
		}
	}
	for _, m := range cfg.Matrix.Observers {
		members[id.UserID(m)] = true
	}
	return &Bot{cfg: cfg, reg: reg, store: st, members: members, mentions: newMentionLimiter(max(cfg.Matrix.MentionLimit, 1)),
		redraws: newDigestRedraws(), seeds: newSeedQueue()}
}

// UserID is the bot's Matrix user id.
func (b *Bot) UserID() id.UserID {
	return id.NewUserID(b.reg.SenderLocalpart, b.cfg.Homeserver.Domain)
}

// RoomID is the approvals room, known after Start.
func (b *Bot) RoomID() id.RoomID { return b.rooms[""] }

// Start listens for the homeserver's transactions, logs the bot's device in, sets up its
// encryption and the approvals room; votes and commands go to approvals from then on. The
// bot is built before the approval engine (it is the engine's notifier) and meets it here.
// An error here names the config key to fix.
func (b *Bot) Start(ctx context.Context, approvals *approval.Service) error {
	b.approvals = approvals
	log := zerolog.Ctx(ctx).With().Str("component", "bot").Logger()
	ctx = log.WithContext(ctx)
	if err := b.checkHomeserver(ctx); err != nil {
		return err
	}
	if err := b.startAppservice(ctx); err != nil {
		return err
	}
	if err := b.login(ctx); err != nil {
		return err
	}
	mode, err := ChooseEncryption(ctx, b.cfg.Appservice.Encryption, b.reg, b.client)
	if err != nil {
		return fmt.Errorf("appservice.encryption: %w", err)
	}
	b.encryption = mode
	if mode == config.EncryptionAppservice {
		b.catchUpAfterAbsence(ctx)
	} else if err = b.inbox.useSync(ctx); err != nil {
		return err
	}
	if err := b.ensureRooms(ctx); err != nil {
		return err
	}
	if err := b.ensureDMs(ctx); err != nil {
		return err
	}
	if err := b.readRecentCards(ctx); err != nil {
		// Without it a card the last run sent but did not record would be sent again.
		return err
	}
	b.checkMasterKeys(ctx, b.approverUserIDs())
	go b.redrawDigests(ctx)
	go b.seedCards(ctx)
	log.Info().Stringer("user_id", b.client.UserID).Stringer("device_id", b.client.DeviceID).
		Stringer("room_id", b.RoomID()).Str("encryption", b.encryption).Msg("Bot ready")
	return nil
}

// checkHomeserver asks the homeserver for its versions once, without the retries the Matrix
// client would otherwise make, so a wrong address fails start-up at once and says so.
func (b *Bot) checkHomeserver(ctx context.Context) error {
	cli, err := mautrix.NewClient(b.cfg.Homeserver.Address, "", "")
	if err != nil {
		return fmt.Errorf("homeserver.address: %w", err)
	}
	cli.DefaultHTTPRetries = 0
	cli.Log = *zerolog.Ctx(ctx)
	probeCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err = cli.Versions(probeCtx); err != nil {
		return fmt.Errorf("homeserver.address is unreachable or not a Matrix homeserver (%s): %w", b.cfg.Homeserver.Address, err)
	}
	return nil
}

func (b *Bot) startAppservice(ctx context.Context) error {
	host, portStr, err := net.SplitHostPort(b.cfg.Appservice.Listen)
	if err != nil {
		return fmt.Errorf("appservice.listen: %q is not host:port: %w", b.cfg.Appservice.Listen, err)
	}
	port, _ := strconv.ParseUint(portStr, 10, 16)
	b.as, err = appservice.CreateFull(appservice.CreateOpts{
		Registration:     b.reg,
		HomeserverDomain: b.cfg.Homeserver.Domain,
		HomeserverURL:    b.cfg.Homeserver.Address,
		HostConfig:       appservice.HostConfig{Hostname: host, Port: uint16(port)},
	})
	if err != nil {
		return fmt.Errorf("appservice: %w", err)
	}
	b.as.Log = zerolog.Ctx(ctx).With().Str("component", "appservice").Logger()
	listener, err := net.Listen("tcp", b.cfg.Appservice.Listen)
	if err != nil {
		return fmt.Errorf("appservice.listen: %w", err)
	}
	b.inbox = newTransactionInbox(b.store, b.as)
	b.server = &http.Server{Handler: limitBody(b.inbox, maxTransactionBody), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := b.server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			zerolog.Ctx(ctx).Error().Err(err).Msg("Appservice listener stopped")
		}
	}()
	b.as.Ready = true
	return nil
}

func (b *Bot) login(ctx context.Context) error {
	log := zerolog.Ctx(ctx)
	if err := b.as.BotIntent().EnsureRegistered(ctx); err != nil {
		return explainHomeserverError("registering the bot user", err)
	}
	pickleKey, err := sgcrypto.LoadOrCreateSecret(filepath.Join(b.cfg.Database.KeysDir, "pickle.key"), 32)
	if err != nil {
		return fmt.Errorf("database.keys_dir: %w", err)
	}
	cli, helper, err := b.deviceClient(ctx, pickleKey, true)
	if errors.Is(err, mautrix.MUnknownToken) {
		// The homeserver no longer knows the kept token (its device was logged out): log in again.
		log.Warn().Msg("The bot's kept access token was refused; logging in again")
		cli, helper, err = b.deviceClient(ctx, pickleKey, false)
	}
	if err != nil {
		return explainHomeserverError("setting up the bot's encrypted device", err)
	}
	if !b.cfg.Appservice.MSC4190 { // an MSC4190 device has no session of its own to keep
		if err = b.keepSession(ctx, pickleKey, cli); err != nil {
			return err
		}
	}
	cli.Crypto = helper
	cli.Store = newProcessedSyncStore(cli.Store)
	b.client, b.crypto = cli, helper
	if err = b.ensureCrossSigned(ctx); err != nil {
		return fmt.Errorf("database.keys_dir: %w", err)
	}
	if err = cli.SetDisplayName(ctx, b.cfg.Appservice.BotDisplayname); err != nil {
		log.Warn().Err(err).Msg("Setting the bot's display name failed")
	}
	if err = b.startVerifier(ctx); err != nil {
		return err
	}
	syncer := cli.Syncer.(*gapFillingSyncer)
	syncer.OnEventType(event.EventReaction, b.onReaction)
	syncer.OnEventType(event.EventMessage, b.onMessage)
	syncer.OnEventType(event.EventRedaction, b.onRedaction)
	syncer.OnSync(b.onDeviceListChanges)
	return nil
}

// deviceClient returns the bot's client with its encrypted device set up. With reuse, it
// resumes the session kept from the last run instead of logging in, when there is one.
func (b *Bot) deviceClient(ctx context.Context, pickleKey []byte, reuse bool) (*mautrix.Client, *cryptohelper.CryptoHelper, error) {
	cli, err := mautrix.NewClient(b.cfg.Homeserver.Address, b.UserID(), b.reg.AppToken)
	if err != nil {
		return nil, nil, fmt.Errorf("homeserver.address: %w", err)
	}
	cli.Log = zerolog.Ctx(ctx).With().Str("component", "matrix").Logger()
	cli.Syncer = newGapFillingSyncer(cli)
	helper, err := cryptohelper.NewCryptoHelper(cli, pickleKey, b.store.DB)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: encryption: %w", err)
	}
	helper.LoginAs = &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypeAppservice,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: b.reg.SenderLocalpart},
		InitialDeviceDisplayName: b.cfg.Appservice.BotDisplayname,
	}
	if b.cfg.Appservice.MSC4190 {
		// An MSC4190 device is the appservice's own (as_token plus user and device ids), made
		// with an idempotent PUT at every start from the device id in the crypto store; there
		// is no session to keep, and mautrix reads LoginAs for the device's name. Synapse 1.160
		// answers the device's key queries with HTTP 500 unless they name the user too.
		cli.SetAppServiceUserID = true
		reuse = false
	}
	if reuse {
		device, token, err := b.keptSession(ctx, pickleKey)
		if err != nil {
			return nil, nil, err
		}
		if token != "" {
			cli.DeviceID, cli.AccessToken, helper.LoginAs = device, token, nil
		}
	}
	helper.DecryptErrorCallback = func(evt *event.Event, err error) { b.onUndecryptable(ctx, evt, err) }
	helper.MSC4190 = b.cfg.Appservice.MSC4190
	if err = helper.Init(ctx); err != nil {
		return nil, nil, err
	}
	return cli, helper, nil
}

// explainHomeserverError turns the homeserver's answers at start-up into the config key to fix.
func explainHomeserverError(doing string, err error) error {
	var httpErr mautrix.HTTPError
	switch {
	case errors.Is(err, mautrix.MUnknownToken):
		return fmt.Errorf("%s: the homeserver does not accept the as_token: is appservice.registration the file the homeserver loads? %w", doing, err)
	case errors.As(err, &httpErr) && httpErr.Response == nil:
		return fmt.Errorf("%s: homeserver.address is unreachable: %w", doing, err)
	default:
		return fmt.Errorf("%s: %w", doing, err)
	}
}

// Run runs the bot's /sync loop until ctx ends, retrying with back-off when the homeserver is
// away; in appservice encryption mode it feeds the homeserver's transactions to the bot instead.
func (b *Bot) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx).With().Str("component", "bot").Logger()
	ctx = log.WithContext(ctx)
	if b.encryption == config.EncryptionAppservice {
		go b.pingHomeserver(ctx)
		b.inbox.run(ctx, transactionSink{user: b.client.UserID, device: b.client.DeviceID,
			mach: b.crypto.Machine(), state: b.client.StateStore, syncer: b.client.Syncer.(mautrix.DispatchableSyncer),
			devicesChanged: b.checkMasterKeys}, b.pingHomeserver)
		return ctx.Err()
	}
	// Room events reach the bot through its /sync loop (which also carries the to-device
	// messages its encryption needs); transactions are acknowledged and drained.
	go appservice.NewEventProcessor(b.as).Start(ctx)
	var retry backoff.Backoff
	for {
		started := time.Now()
		err := b.client.SyncWithContext(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(started) > time.Minute {
			retry.Reset() // it synced well for a while: this is a new outage
		}
		delay := retry.Next()
		log.Warn().Err(err).Dur("retry_in", delay).Msg("Sync stopped; restarting")
		if !backoff.Sleep(ctx, delay) {
			return ctx.Err()
		}
	}
}

// Close stops the appservice listener.
func (b *Bot) Close() {
	if b.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.server.Shutdown(ctx)
	}
}
