package torrent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seedgate/seedgate/torrent/kind"
)

// Settings is what the config says about one client (config.TorrentClient.Settings).
type Settings = kind.Settings

// constructors holds each registered client type's adapter constructor.
var constructors = map[string]func(Settings) (Client, error){}

// register makes a client type known: to the config (what it must say, through package
// kind) and to New (how to reach it). Each adapter calls it once, beside its constructor.
func register(k kind.Kind, construct func(Settings) (Client, error)) {
	kind.Register(k)
	constructors[k.Name] = construct
}

// New returns the adapter for s.Type.
func New(s Settings) (Client, error) {
	construct, ok := constructors[s.Type]
	if !ok {
		return nil, fmt.Errorf("torrent client type %q is not one of %s", s.Type, strings.Join(kind.Names(), ", "))
	}
	return construct(s)
}

// ExplainConnectError says what a failed Connect means for the person who configured the
// client: the key of its torrent_clients entry to look at, and what is wrong. seedgate's start
// and doctor both say it this way.
func ExplainConnectError(err error) (key, problem string) {
	switch {
	case errors.Is(err, ErrAuth):
		return "password", "login refused: the password (or username, or api_key) is wrong"
	case errors.Is(err, ErrBanned):
		return "password", "this address is banned after failed logins (wait, or restart the client, then fix the password)"
	}
	return "url", "unreachable"
}
