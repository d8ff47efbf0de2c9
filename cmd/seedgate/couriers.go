package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/bridges/rbm"
	"github.com/seedgate/seedgate/bridges/signal"
	"github.com/seedgate/seedgate/bridges/twilio"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// couriers are the bridges' running parts, when any bridge is configured.
type couriers struct {
	broker *bridges.Broker
	parts  map[string]func(context.Context) error
	// webhooks serves Twilio's and RBM's callbacks, when either is configured.
	webhooks http.Handler
}

// newCouriers connects to every configured bridge, or returns nil when there is none. Each
// error names the config key to look at. mirror (the bot) shows courier traffic in the room.
func newCouriers(ctx context.Context, cfg *config.Config, st *store.Store, svc *approval.Service, mirror bridges.Mirror) (*couriers, error) {
	log := zerolog.Ctx(ctx)
	b := cfg.Bridges
	replies := &bridges.Replies{Config: cfg, Voter: svc, Mirror: mirror}
	c := &couriers{parts: map[string]func(context.Context) error{}}
	var transports []bridges.Transport
	mux := http.NewServeMux()
	if b.Configured(config.RouteSignal) {
		client, err := signal.New(b.Signal.URL, b.Signal.Account)
		if err != nil {
			return nil, fmt.Errorf("bridges.signal.url: %w", err)
		}
		if err = client.Check(ctx); err != nil {
			return nil, fmt.Errorf("bridges.signal.url: %w", err)
		}
		log.Info().Str("url", b.Signal.URL).Msg("signal-cli daemon reachable")
		transports = append(transports, &signal.Transport{Client: client})
		c.parts["signal inbound"] = (&signal.Inbound{Client: client, Store: st, Replies: replies}).Run
	}
	if b.Configured(config.RouteTwilio) {
		token, err := config.ReadSecret(b.Twilio.AuthToken, b.Twilio.AuthTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bridges.twilio.auth_token_file: %w", err)
		}
		client := twilio.NewClient(b.Twilio.APIURL, b.Twilio.AccountSID, token, b.Twilio.MessagingServiceSID)
		transports = append(transports, &twilio.Transport{Client: client, StatusURL: b.PublicURL + twilio.StatusPath, Validity: b.MessageTTL.D()})
		hook := &twilio.Webhook{AuthToken: token, PublicURL: b.PublicURL, Store: st, Replies: replies,
			Log: log.With().Str("component", "twilio").Logger()}
		mux.Handle("/twilio/", hook.Handler())
	}
	if b.Configured(config.RouteRBM) {
		account, err := rbm.LoadServiceAccount(b.RBM.ServiceAccountFile)
		if err != nil {
			return nil, fmt.Errorf("bridges.rbm.service_account_file: %w", err)
		}
		token, err := config.ReadSecret(b.RBM.ClientToken, b.RBM.ClientTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bridges.rbm.client_token_file: %w", err)
		}
		client := rbm.NewClient(b.RBM.APIURL, b.RBM.AgentID, account)
		transports = append(transports, &rbm.Transport{Client: client, TTL: b.MessageTTL.D()})
		mux.Handle(rbm.WebhookPath, &rbm.Webhook{Verifier: &rbm.Verifier{ClientToken: token}, Store: st, Replies: replies,
			Client: client, Log: log.With().Str("component", "rbm").Logger()})
	}
	if len(transports) == 0 {
		return nil, nil
	}
	if b.NeedsWebhooks() {
		c.webhooks = mux
	}
	outbox := bridges.NewOutbox(st, transports...)
	c.broker = bridges.NewBroker(cfg, st, outbox, mirror)
	c.parts["outbox"] = outbox.Run
	c.parts["broker"] = c.broker.Run
	return c, nil
}
