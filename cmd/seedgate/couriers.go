package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/bridges/signal"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// couriers are the bridges' running parts, when any bridge is configured.
type couriers struct {
	broker *bridges.Broker
	parts  map[string]func(context.Context) error
}

// newCouriers connects to every configured bridge, or returns nil when there is none.
func newCouriers(ctx context.Context, cfg *config.Config, st *store.Store, svc *approval.Service) (*couriers, error) {
	replies := &bridges.Replies{Config: cfg, Voter: svc}
	var transports []bridges.Transport
	parts := map[string]func(context.Context) error{}
	if cfg.Bridges.Configured(config.RouteSignal) {
		client, err := signal.New(cfg.Bridges.Signal.URL, cfg.Bridges.Signal.Account)
		if err != nil {
			return nil, fmt.Errorf("bridges.signal.url: %w", err)
		}
		if err = client.Check(ctx); err != nil {
			return nil, fmt.Errorf("bridges.signal.url: %w", err)
		}
		zerolog.Ctx(ctx).Info().Str("url", cfg.Bridges.Signal.URL).Msg("signal-cli daemon reachable")
		transports = append(transports, &signal.Transport{Client: client})
		parts["signal inbound"] = (&signal.Inbound{Client: client, Store: st, Replies: replies}).Run
	}
	if len(transports) == 0 {
		return nil, nil
	}
	outbox := bridges.NewOutbox(st, transports...)
	broker := bridges.NewBroker(cfg, st, outbox)
	parts["outbox"] = outbox.Run
	parts["broker"] = broker.Run
	return &couriers{broker: broker, parts: parts}, nil
}
