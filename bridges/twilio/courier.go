package twilio

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/config"
)

func init() { bridges.Register(courier{}) }

// courier is RCS through a Twilio Messaging Service.
type courier struct{}

func (courier) Route() string { return config.RouteTwilio }
func (courier) Label() string { return "RCS" }

func (courier) Start(ctx context.Context, env bridges.Env) (*bridges.Started, error) {
	b := env.Config.Bridges
	token := b.Twilio.AuthToken.Value() // loaded with the config
	client := NewClient(b.Twilio.APIURL, b.Twilio.AccountSID, token, b.Twilio.MessagingServiceSID)
	hook := &Webhook{AuthToken: token, PublicURL: b.PublicURL, Store: env.Store, Replies: env.Replies,
		Log: zerolog.Ctx(ctx).With().Str("component", "twilio").Logger()}
	return &bridges.Started{
		Transport: &Transport{Client: client, StatusURL: b.PublicURL + StatusPath, Validity: b.MessageTTL.D()},
		Webhooks:  map[string]http.Handler{"/twilio/": hook.Handler()},
	}, nil
}

func (courier) Check(ctx context.Context, b config.Bridges) []bridges.Check {
	const name = "bridge twilio"
	t := b.Twilio
	out := bridges.CheckSecretFile("twilio auth token", t.AuthTokenFile)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch err := NewClient(t.APIURL, t.AccountSID, t.AuthToken.Value(), t.MessagingServiceSID).Check(tctx); {
	case err == nil:
		return append(out, bridges.Check{Name: name, Status: bridges.CheckOK, Detail: "account " + t.AccountSID + " accepted the auth token"})
	case errors.Is(err, ErrRefused):
		return append(out, bridges.Check{Name: name, Status: bridges.CheckFail, Detail: "Twilio refused the account SID and auth token (HTTP 401)",
			Fix: "copy both from the Twilio console into bridges.twilio"})
	default:
		return append(out, bridges.Check{Name: name, Status: bridges.CheckFail, Detail: err.Error(),
			Fix: "check this host's outbound HTTPS, bridges.twilio.api_url and bridges.twilio.account_sid"})
	}
}
