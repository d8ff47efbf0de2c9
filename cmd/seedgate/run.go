package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/bot"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/metrics"
	"github.com/seedgate/seedgate/store"
	"github.com/seedgate/seedgate/torrent"
)

// run wires the parts and runs them until ctx ends. Everything that can be checked is checked
// before anything starts, and a failure names its config key.
func run(ctx context.Context, configPath string) int {
	cfg, err := config.Load(configPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "seedgate: %v\n", err)
		return 2
	}
	log := newLogger(cfg.Logging)
	ctx = log.WithContext(ctx)
	fail := func(msg string, err error) int {
		log.Error().Err(err).Msg(msg)
		return 1
	}
	reg, err := bot.LoadRegistration(cfg, cfg.Appservice.Registration)
	if err != nil {
		return fail("Invalid appservice registration", err)
	}
	st, err := store.Open(ctx, cfg.Database.Type, cfg.Database.Target())
	if err != nil {
		return fail("Opening the database failed (database.path)", err)
	}
	defer st.Close()
	if err = takeLease(ctx, st, cfg.Database); errors.Is(err, context.Canceled) {
		return 0 // a standby told to stop
	} else if err != nil {
		return fail("Not starting: this database has an active seedgate", err)
	}
	// Losing the lease stops everything (keepLease); a clean stop gives it up for the standby.
	ctx, loseLease := context.WithCancelCause(ctx)
	defer loseLease(nil)
	go keepLease(ctx, st, cfg.Database.LeaseTTL.D(), loseLease)
	defer func() {
		if !errors.Is(context.Cause(ctx), store.ErrLeaseLost) {
			if err := st.ReleaseLease(context.WithoutCancel(ctx)); err != nil {
				log.Warn().Err(err).Msg("Releasing the database's lease failed; a standby waits for it to lapse")
			}
		}
	}()

	clients := map[string]torrent.Client{}
	for i, tc := range cfg.TorrentClients {
		client, err := newClient(tc)
		if err != nil {
			return fail("Invalid torrent client", fmt.Errorf("torrent_clients[%d]: %w", i, err))
		}
		// A wrong password is a configuration error and stops the start. A client that is
		// down (a seedbox rebooting) must not halt approvals for the others: its watcher
		// connects when it can, and in door mode it adds nothing running meanwhile.
		switch err = client.Connect(ctx); {
		case errors.Is(err, torrent.ErrAuth):
			return fail("Torrent client check failed", explainClientError(i, err))
		case err != nil:
			log.Error().Err(explainClientError(i, err)).Str("client", tc.Name).
				Msg("Torrent client down; starting without it and retrying")
		default:
			log.Info().Str("client", tc.Name).Str("version", client.Version()).Msg("Torrent client reachable")
		}
		clients[tc.Name] = client
	}

	gateway, err := crypto.LoadOrCreateGatewayKey(filepath.Join(cfg.Database.KeysDir, crypto.GatewayKeyFile))
	if err != nil {
		return fail("Loading the gateway key failed (database.keys_dir)", err)
	}
	// What shows requests (the bot, and the couriers' broker) is built first and handed to the
	// engine; what votes (the bot's room, the couriers' inbound side) meets the engine when it
	// starts taking input, below.
	b := bot.New(cfg, reg, st)
	passkeys, passkeyTLS, err := newPasskeys(cfg, st)
	if err != nil {
		return fail("Passkey check failed (passkeys)", err)
	}
	if passkeys != nil {
		b.UsePasskeys(passkeys)
	}
	couriers, err := newCouriers(ctx, cfg, st, b)
	if err != nil {
		return fail("Bridge check failed (bridges)", err)
	}
	var notifier approval.Notifier = b
	if couriers != nil && passkeys != nil {
		couriers.broker.PasskeyLink = passkeys.ApprovalURL
	}
	if couriers != nil {
		notifier = bridges.WithBroker(b, couriers.broker)
	}
	svc := approval.NewService(cfg, st, clients, gateway, notifier)
	watchers := map[string]*torrent.Watcher{}
	for _, tc := range cfg.TorrentClients {
		w := torrent.NewWatcher(clients[tc.Name], st, tc.PollInterval.D(), svc.HandleEvent)
		w.Running, w.Arriving = svc.EnforceHold, svc.PrepareHolds
		if tc.Gate == config.GateDoor {
			w.Door, w.Adopt = true, svc.Adopt
		}
		watchers[tc.Name] = w
	}

	// Everything that can still fail (secrets, TLS files, ports) is checked before anything
	// starts: a start that fails half-way would have held, posted or synced for nothing, and
	// returned under running parts.
	var bound []*boundListener
	defer func() { closeUnserved(bound) }()
	listen := func(name, addr, key string, handler http.Handler, tlsConf *tls.Config) error {
		l, err := bindListener(name, addr, handler, tlsConf)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		bound = append(bound, l)
		return nil
	}
	if couriers != nil && couriers.webhooks != nil {
		if err = listen("webhooks", cfg.Bridges.WebhookListen, "bridges.webhook_listen", couriers.webhooks, nil); err != nil {
			return fail("Binding the bridges' webhook listener failed", err)
		}
	}
	if passkeys != nil {
		handler := passkeys.Handler(log.With().Str("component", "passkeys").Logger())
		if err = listen("passkeys", cfg.Passkeys.Listen, "passkeys.listen", handler, passkeyTLS); err != nil {
			return fail("Binding the passkey listener failed", err)
		}
	}
	if cfg.API.Listen != "" {
		if err = listen("api", cfg.API.Listen, "api.listen", svc.APIHandler(log.With().Str("component", "api").Logger()), nil); err != nil {
			return fail("Binding the HTTP API failed", err)
		}
	}
	if cfg.Metrics.Listen != "" {
		if err = listen("metrics", cfg.Metrics.Listen, "metrics.listen", metrics.Handler(cfg.Metrics.Profiling), nil); err != nil {
			return fail("Binding the metrics listener failed", err)
		}
	}
	if cfg.Hooks.Listen != "" {
		secret, err := crypto.LoadOrCreateSecret(cfg.Hooks.SecretFile, 32)
		if err != nil {
			return fail("Loading the hook secret failed (hooks.secret_file)", err)
		}
		tlsConf, err := hookServerTLS(cfg.Hooks.TLS)
		if err != nil {
			return fail("Loading the hook listener's TLS files failed", err)
		}
		receiver := &torrent.HookReceiver{Verifier: crypto.NewHookVerifier(secret, cfg.Hooks.Window.D(), st), Watchers: watchers,
			Log: log.With().Str("component", "hooks").Logger()}
		if err = listen("hooks", cfg.Hooks.Listen, "hooks.listen", receiver, tlsConf); err != nil {
			return fail("Binding the hook listener failed", err)
		}
	}

	if couriers != nil {
		couriers.replies.Voter = svc // before the webhooks serve and the inbound parts run
	}
	if err = b.Start(ctx, svc); err != nil {
		return fail("Matrix start-up failed", err)
	}
	if passkeys != nil {
		passkeys.Start(svc, b) // before its listener serves, below
	}
	defer b.Close()

	// From here nothing fails. On the way out the listeners stop first, then every part is
	// cancelled and waited for, then the bot and the store close (deferred above).
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	runPart := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				zerolog.Ctx(ctx).Error().Err(err).Str("part", name).Msg("Part stopped")
			}
		}()
	}
	if couriers != nil {
		for name, part := range couriers.parts {
			runPart(name, part)
		}
	}
	if cfg.Metrics.Listen != "" {
		exportStoreGauges(ctx, st)
	}
	for _, l := range bound {
		srv := l.serve(ctx)
		defer srv.Close()
	}
	bound = nil // served: the servers close them
	runPart("bot", b.Run)
	runPart("approvals", svc.Run)
	for _, tc := range cfg.TorrentClients {
		runPart("watcher "+tc.Name, watchers[tc.Name].Run)
	}
	metrics.Ready.Store(true)
	build := currentBuild()
	metrics.SetBuildInfo(build.Version, build.Commit, build.Go)
	log.Info().Str("version", build.Version).Str("commit", build.Commit).Msg("seedgate running")
	<-ctx.Done()
	if cause := context.Cause(ctx); errors.Is(cause, store.ErrLeaseLost) {
		wg.Wait()
		return fail("Stopped: another seedgate may be active now", cause)
	}
	log.Info().Msg("Shutting down")
	wg.Wait()
	return 0
}

// boundListener is a port taken at start, served once everything has started.
type boundListener struct {
	name     string
	listener net.Listener
	handler  http.Handler
}

// bindListener takes the port (and wraps it in TLS when tlsConf is set) without serving it.
func bindListener(name, listen string, handler http.Handler, tlsConf *tls.Config) (*boundListener, error) {
	listener, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		listener = tls.NewListener(listener, tlsConf)
	}
	return &boundListener{name: name, listener: listener, handler: handler}, nil
}

func closeUnserved(bound []*boundListener) {
	for _, l := range bound {
		_ = l.listener.Close()
	}
}

// serve serves the listener with timeouts that bound slow clients.
func (l *boundListener) serve(ctx context.Context) *http.Server {
	serverLog := zerolog.Ctx(ctx).With().Str("listener", l.name).Logger()
	srv := &http.Server{
		Handler: l.handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: stdlog.New(httpErrorWriter{serverLog}, "", 0),
	}
	go func() {
		if err := srv.Serve(l.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serverLog.Error().Err(err).Msg("HTTP listener stopped")
		}
	}()
	serverLog.Info().Str("address", l.listener.Addr().String()).Msg("HTTP listener started")
	return srv
}

// httpErrorWriter turns net/http's own error lines (TLS handshake failures, bad requests)
// into warnings on the listener's logger.
type httpErrorWriter struct{ log zerolog.Logger }

func (w httpErrorWriter) Write(p []byte) (int, error) {
	w.log.Warn().Str("detail", strings.TrimSpace(string(p))).Msg("HTTP listener refused a connection")
	return len(p), nil
}

// exportStoreGauges publishes request counts, read from the database at each scrape.
func exportStoreGauges(ctx context.Context, st *store.Store) {
	metrics.SetGaugeFunc("seedgate_requests", "Requests by state.", []string{"state"}, func() map[string]float64 {
		byState, err := st.CountRequests(ctx)
		out := map[string]float64{}
		if err == nil {
			for state, n := range byState {
				out[state] = float64(n)
			}
		}
		return out
	})
	metrics.SetGaugeFunc("seedgate_outbox_depth", "Pending requests whose card is not delivered yet.", nil, func() map[string]float64 {
		uncarded, err := st.CountUncarded(ctx)
		if err != nil {
			return nil
		}
		return map[string]float64{"": float64(uncarded)}
	})
}

func newClient(tc config.TorrentClient) (torrent.Client, error) {
	return torrent.New(tc.Settings())
}

func explainClientError(i int, err error) error {
	key, problem := torrent.ExplainConnectError(err)
	return fmt.Errorf("torrent_clients[%d].%s: %s: %w", i, key, problem, err)
}
