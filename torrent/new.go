package torrent

import (
	"fmt"
	"strings"

	"github.com/seedgate/seedgate/torrent/kind"
)

// Settings is what the config says about one client.
type Settings struct {
	Type, Name, URL, Username, Password, APIKey string
}

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
