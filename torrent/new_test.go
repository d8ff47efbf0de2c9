package torrent

import (
	"slices"
	"testing"

	"github.com/seedgate/seedgate/torrent/kind"
)

// Every adapter registers its type once, and New builds each from its settings alone: the
// config's list of types and the adapters cannot drift apart.
func TestEveryClientTypeIsRegisteredAndBuilds(t *testing.T) {
	if got, want := kind.Names(), []string{"deluge", "qbittorrent", "rtorrent", "transmission"}; !slices.Equal(got, want) {
		t.Fatalf("registered client types %v, want %v", got, want)
	}
	for _, name := range kind.Names() {
		k, _ := kind.Lookup(name)
		url := "http://127.0.0.1:9"
		if k.URL == kind.SCGIOrHTTP {
			url = "scgi://127.0.0.1:9"
		}
		c, err := New(Settings{Type: name, Name: "box-" + name, URL: url, Username: "u", Password: "p"})
		if err != nil || c == nil || c.Name() != "box-"+name {
			t.Errorf("New(%s) = %v, %v", name, c, err)
		}
	}
	if _, err := New(Settings{Type: "utorrent"}); err == nil {
		t.Fatal("an unknown type was built")
	}
}
