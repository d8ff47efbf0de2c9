package signal

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/seedgate/seedgate/bridges"
	"github.com/seedgate/seedgate/config"
)

func init() { bridges.Register(courier{}) }

// courier is Signal through a signal-cli daemon.
type courier struct{}

func (courier) Route() string { return config.RouteSignal }
func (courier) Label() string { return "Signal" }

func (courier) Start(ctx context.Context, env bridges.Env) (*bridges.Started, error) {
	b := env.Config.Bridges
	client, err := New(b.Signal.URL, b.Signal.Account)
	if err != nil {
		return nil, fmt.Errorf("bridges.signal.url: %w", err)
	}
	if err = client.Check(ctx); err != nil {
		return nil, fmt.Errorf("bridges.signal.url: %w", err)
	}
	return &bridges.Started{
		Transport: &Transport{Client: client},
		Parts:     map[string]func(context.Context) error{"signal inbound": (&Inbound{Client: client, Store: env.Store, Replies: env.Replies}).Run},
	}, nil
}

func (courier) Check(ctx context.Context, b config.Bridges) []bridges.Check {
	const name = "bridge signal"
	s := b.Signal
	client, err := New(s.URL, s.Account)
	if err != nil {
		return []bridges.Check{{Name: name, Status: bridges.CheckFail, Detail: err.Error(), Fix: "set bridges.signal.url to http://127.0.0.1:PORT or unix:///path/to/socket"}}
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err = client.Check(tctx); err != nil {
		return []bridges.Check{{Name: name, Status: bridges.CheckFail, Detail: "signal-cli unreachable: " + err.Error(),
			Fix: "start `signal-cli -a ACCOUNT daemon --http 127.0.0.1:PORT` (or --socket PATH) and match bridges.signal.url"}}
	}
	if u, _ := url.Parse(s.URL); u.Scheme != "unix" && !bridges.IsLoopback(u.Hostname()) {
		return []bridges.Check{{Name: name, Status: bridges.CheckWarn, Detail: "signal-cli answers at " + s.URL + ", which is not loopback",
			Fix: "signal-cli's HTTP mode has no authentication: bind it to 127.0.0.1 or use its socket"}}
	}
	return []bridges.Check{{Name: name, Status: bridges.CheckOK, Detail: "signal-cli answers at " + s.URL}}
}
