package torrent

import "fmt"

// Types lists the client types seedgate speaks, as written in the config.
var Types = []string{"qbittorrent", "transmission", "rtorrent", "deluge"}

// Settings is what the config says about one client.
type Settings struct {
	Type, Name, URL, Username, Password, APIKey string
}

// New returns the adapter for s.Type.
func New(s Settings) (Client, error) {
	switch s.Type {
	case "qbittorrent":
		q, err := NewQBittorrent(s.Name, s.URL, s.Username, s.Password)
		if err == nil && s.APIKey != "" {
			q.apiKey = s.APIKey
		}
		return q, err
	case "transmission":
		return NewTransmission(s.Name, s.URL, s.Username, s.Password)
	case "rtorrent":
		return NewRTorrent(s.Name, s.URL, s.Username, s.Password)
	case "deluge":
		return NewDeluge(s.Name, s.URL, s.Password)
	}
	return nil, fmt.Errorf("torrent client type %q is not one of %v", s.Type, Types)
}
