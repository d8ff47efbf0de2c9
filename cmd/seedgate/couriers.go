package main

import (
	"context"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/bridges"
	// The couriers register themselves with package bridges.
	_ "github.com/seedgate/seedgate/bridges/rbm"
	_ "github.com/seedgate/seedgate/bridges/signal"
	_ "github.com/seedgate/seedgate/bridges/twilio"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// couriers are the bridges' running parts, when any bridge is configured.
type couriers struct {
	broker *bridges.Broker
	parts  map[string]func(context.Context) error
	// webhooks serves Twilio's and RBM's callbacks, when either is configured.
	webhooks http.Handler
	// replies judges what people send back; its Voter is the approval engine, built after
	// the couriers (their broker is part of its notifier) and set before any of them runs.
	replies *bridges.Replies
}

// newCouriers starts every registered courier the configuration sets up, or returns nil when
// there is none. Each error names the config key to look at. mirror (the bot) shows courier
// traffic in the room.
func newCouriers(ctx context.Context, cfg *config.Config, st *store.Store, mirror bridges.Mirror) (*couriers, error) {
	c := &couriers{parts: map[string]func(context.Context) error{}, replies: &bridges.Replies{Config: cfg, Mirror: mirror}}
	env := bridges.Env{Config: cfg, Store: st, Replies: c.replies}
	var transports []bridges.Transport
	mux := http.NewServeMux()
	for _, courier := range bridges.Couriers() {
		if !cfg.Bridges.Configured(courier.Route()) {
			continue
		}
		started, err := courier.Start(ctx, env)
		if err != nil {
			return nil, err
		}
		zerolog.Ctx(ctx).Info().Str("route", courier.Route()).Msg("Courier started")
		transports = append(transports, started.Transport)
		for name, part := range started.Parts {
			c.parts[name] = part
		}
		for pattern, handler := range started.Webhooks {
			mux.Handle(pattern, handler)
		}
	}
	if len(transports) == 0 {
		return nil, nil
	}
	if cfg.Bridges.NeedsWebhooks() {
		c.webhooks = mux
	}
	outbox := bridges.NewOutbox(st, transports...)
	c.broker = bridges.NewBroker(cfg, st, outbox, mirror)
	c.parts["outbox"] = outbox.Run
	c.parts["broker"] = c.broker.Run
	return c, nil
}
