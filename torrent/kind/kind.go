// Package kind is the registry of torrent client types: what the config may name and what
// each type needs there. Package torrent's adapters fill it, each with one registration line
// beside its constructor, and config validates against it, so a new client type is one
// adapter and one line. A program that validates a configuration must therefore import
// package torrent (seedgate, doctor and the config tests do); with nothing registered every
// type is unknown, which fails closed.
package kind

import (
	"slices"
	"sort"
	"sync"
)

// URLForm is the kind of address a client type is reached at.
type URLForm int

const (
	// HTTP is an http(s):// URL to the client's web API.
	HTTP URLForm = iota
	// SCGIOrHTTP is scgi:///socket, scgi://host:port or http(s)://host/RPC2 (rTorrent).
	SCGIOrHTTP
)

// Kind is what the config must say for one client type.
type Kind struct {
	Name string // as written in torrent_clients[].type
	// Label is how people name it in messages ("qBittorrent").
	Label string
	URL   URLForm
	// PasswordOptional: the client can run without a password (rTorrent over a socket).
	PasswordOptional bool
	// APIKeyPrefix, when set, means the type takes an API key instead of a password, and such
	// keys start with it (qBittorrent 5.2+: "qbt_").
	APIKeyPrefix string
}

// Settings is what a configuration says about one client: what an adapter is built from.
type Settings struct {
	Type, Name, URL, Username, Password, APIKey string
}

var (
	mu    sync.RWMutex
	kinds = map[string]Kind{}
)

// Register adds a client type. Registering a name twice is a programming error.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := kinds[k.Name]; dup || k.Name == "" {
		panic("torrent/kind: client type " + k.Name + " registered twice or without a name")
	}
	kinds[k.Name] = k
}

// Lookup returns the client type called name.
func Lookup(name string) (Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Names lists the registered client types, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(kinds))
	for name := range kinds {
		names = append(names, name)
	}
	sort.Strings(names)
	return slices.Clip(names)
}
