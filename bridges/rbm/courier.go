package rbm

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/config"
)

func init() { bridges.Register(courier{}) }

// courier is RCS through a Google RBM agent.
type courier struct{}

func (courier) Route() string { return config.RouteRBM }
func (courier) Label() string { return "RCS" }

func (courier) Start(ctx context.Context, env bridges.Env) (*bridges.Started, error) {
	b := env.Config.Bridges
	account, err := LoadServiceAccount(b.RBM.ServiceAccountFile)
	if err != nil {
		return nil, fmt.Errorf("bridges.rbm.service_account_file: %w", err)
	}
	token := b.RBM.ClientToken.Value() // loaded with the config
	client := NewClient(b.RBM.APIURL, b.RBM.AgentID, account)
	return &bridges.Started{
		Transport: &Transport{Client: client, TTL: b.MessageTTL.D()},
		Webhooks: map[string]http.Handler{WebhookPath: &Webhook{Verifier: &Verifier{ClientToken: token}, Store: env.Store,
			Replies: env.Replies, Client: client, Log: zerolog.Ctx(ctx).With().Str("component", "rbm").Logger()}},
	}, nil
}

func (courier) Check(ctx context.Context, b config.Bridges) []bridges.Check {
	const name = "bridge rbm"
	r := b.RBM
	out := append(bridges.CheckSecretFile("rbm service account", r.ServiceAccountFile), bridges.CheckSecretFile("rbm client token", r.ClientTokenFile)...)
	account, err := LoadServiceAccount(r.ServiceAccountFile)
	if err != nil {
		return append(out, bridges.Check{Name: name, Status: bridges.CheckFail, Detail: err.Error(),
			Fix: "download the agent's service-account key (JSON) into bridges.rbm.service_account_file"})
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err = NewClient(r.APIURL, r.AgentID, account).CheckToken(tctx); err != nil {
		return append(out, bridges.Check{Name: name, Status: bridges.CheckFail, Detail: err.Error(),
			Fix: "check that the service account belongs to the agent's project and the key is not revoked"})
	}
	return append(out, bridges.Check{Name: name, Status: bridges.CheckOK, Detail: "service account " + account.ClientEmail + " gets an access token"})
}
