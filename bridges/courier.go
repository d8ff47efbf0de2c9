package bridges

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
)

// Courier is one way to reach approvers off Matrix: Signal, or RCS through Twilio or Google
// RBM. Each courier package registers one in its init; seedgate starts, and doctor checks,
// every registered courier the configuration sets up, so a new courier is one package and
// its registration line (plus its config section).
type Courier interface {
	// Route is the config's name for it (approvers[].routes[].via).
	Route() string
	// Label is how people call the channel: "Signal", "RCS".
	Label() string
	// Start connects to the provider and returns what runs; an error names the config key.
	Start(ctx context.Context, env Env) (*Started, error)
	// Check is doctor's look: reachable, credentials accepted, secret files private.
	Check(ctx context.Context, b config.Bridges) []Check
}

// Env is what a starting courier gets from seedgate.
type Env struct {
	Config  *config.Config
	Store   *store.Store
	Replies *Replies
}

// Started is a started courier's running parts.
type Started struct {
	Transport Transport
	// Parts run until seedgate stops, by name (an inbound loop).
	Parts map[string]func(context.Context) error
	// Webhooks are served on bridges.webhook_listen, by path pattern.
	Webhooks map[string]http.Handler
}

// CheckStatus is how a courier check came out.
type CheckStatus int

const (
	CheckOK CheckStatus = iota
	CheckWarn
	CheckFail
)

// Check is one line of doctor's courier checks, and for anything but CheckOK what to do.
type Check struct {
	Name   string
	Status CheckStatus
	Detail string
	Fix    string
}

var (
	couriersMu sync.RWMutex
	couriers   []Courier
)

// Register makes a courier known. Registering a route twice is a programming error.
func Register(c Courier) {
	couriersMu.Lock()
	defer couriersMu.Unlock()
	if slices.ContainsFunc(couriers, func(o Courier) bool { return o.Route() == c.Route() }) {
		panic("bridges: courier " + c.Route() + " registered twice")
	}
	couriers = append(couriers, c)
	slices.SortFunc(couriers, func(a, b Courier) int { return strings.Compare(a.Route(), b.Route()) })
}

// Couriers lists the registered couriers, by route.
func Couriers() []Courier {
	couriersMu.RLock()
	defer couriersMu.RUnlock()
	return slices.Clone(couriers)
}

// RouteName names a route for people ("Signal", "RCS"); an unknown one by its own name.
func RouteName(route string) string {
	for _, c := range Couriers() {
		if c.Route() == route {
			return c.Label()
		}
	}
	return route
}

// CheckSecretFile reports a secret file's permissions, when the secret is in a file.
func CheckSecretFile(name, path string) []Check {
	if path == "" {
		return nil
	}
	err := crypto.CheckKeyFilePermissions(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return []Check{{Name: name, Status: CheckFail, Detail: path + " does not exist", Fix: "write the secret there, chmod 600"}}
	case errors.Is(err, crypto.ErrLoosePermissions):
		return []Check{{Name: name, Status: CheckFail, Detail: err.Error(), Fix: "chmod 600 " + path}}
	case err != nil:
		return []Check{{Name: name, Status: CheckFail, Detail: err.Error(), Fix: "check " + path}}
	}
	return []Check{{Name: name, Status: CheckOK, Detail: path + " is private (0600)"}}
}

// IsLoopback says whether host is this machine's loopback.
func IsLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
