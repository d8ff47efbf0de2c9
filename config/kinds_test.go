package config

// The client types are registered by package torrent's adapters (see torrent/kind); config's
// own tests validate against them like seedgate does.
import _ "github.com/seedgate/seedgate/torrent"
