package torrent

import (
	"context"
	"errors"
	"time"
)

// State is a torrent's state, normalised across clients.
type State string

const (
	StateMetadata    State = "metadata"    // fetching metadata for a magnet
	StateChecking    State = "checking"    // hashing or moving data
	StateDownloading State = "downloading" // incomplete and running (or queued/stalled)
	StateSeeding     State = "seeding"     // complete and running
	StateStopped     State = "stopped"     // paused / stopped by a person or by seedgate
	StateErrored     State = "errored"     // the client reports an error
	StateUnknown     State = "unknown"
)

// Running reports whether a torrent in this state transfers data or may start to.
func (s State) Running() bool {
	return s == StateDownloading || s == StateSeeding || s == StateMetadata
}

// Torrent is one torrent as a client reports it.
type Torrent struct {
	Hash     string // lowercase hex info-hash (v1, or truncated v2 for v2-only torrents)
	Name     string
	Size     int64
	Progress float64 // 0..1
	State    State
	RawState string // the client's own word for the state, for logs and cards
	Category string
	Tags     string
	SavePath string
	Tracker  string
	AddedAt  time.Time
}

// MetadataKnown reports whether the torrent's name, size and trackers are its own: not so for
// a magnet whose metadata has not arrived (a placeholder name, no size).
func (t Torrent) MetadataKnown() bool {
	return t.State != StateMetadata && t.Size > 0
}

// Changes is what a client reports since the previous poll.
type Changes struct {
	// Full is true when Torrents is the complete list (first poll, or the client forgot our
	// position); the watcher then treats any torrent it knew but that is absent as removed.
	Full     bool
	Torrents []Torrent // new or changed torrents, complete records
	Removed  []string  // hashes removed since the previous poll
	Bytes    int       // how much the poll read from the client, for the poll-cost metric
	// Waited is how long the poll waited in a long poll for something to happen (Deluge's
	// event queue): time the client was idle, which the watcher's back-off must not count.
	Waited time.Duration
}

// AddOptions says how to add a torrent.
type AddOptions struct {
	Stopped bool
	// ClientDefault leaves starting to the client's own setting, as a person in the web UI,
	// a watch folder or an *arr program that names no initial state does (Stopped is then
	// ignored): what a door-mode client's "add stopped" setting governs. rTorrent, which has
	// no such setting, loads with load.start, as watch directories usually do.
	ClientDefault bool
	Category      string
	SavePath      string
}

// Client is one torrent client. Every method addresses torrents by info-hash.
type Client interface {
	// Name is the client's configured name.
	Name() string
	// Connect logs in and learns the server's API dialect.
	Connect(ctx context.Context) error
	// Version describes the server, e.g. "qBittorrent v4.5.2 (WebAPI 2.8.19)".
	Version() string
	// Poll returns what changed since the previous call; the first call returns everything.
	Poll(ctx context.Context) (*Changes, error)
	// Get returns one torrent, or ErrNoSuchTorrent.
	Get(ctx context.Context, hash string) (*Torrent, error)
	Stop(ctx context.Context, hash string) error
	Start(ctx context.Context, hash string) error
	Remove(ctx context.Context, hash string, withData bool) error
	// SetCategory sets a torrent's category ("" clears it); ErrUnsupported where the client has none.
	SetCategory(ctx context.Context, hash, category string) error
	// SetTags replaces a torrent's tags (labels); ErrUnsupported where the client has none.
	SetTags(ctx context.Context, hash string, tags []string) error
	AddFile(ctx context.Context, name string, metainfo []byte, opts AddOptions) error
	AddMagnet(ctx context.Context, magnet string, opts AddOptions) error
}

// ManyStopper is a client that stops many torrents in one call.
type ManyStopper interface {
	StopMany(ctx context.Context, hashes []string) error
}

var (
	// ErrNoSuchTorrent is returned when the client does not know the hash.
	ErrNoSuchTorrent = errors.New("no such torrent")
	// ErrAuth is returned when the client refuses the credentials.
	ErrAuth = errors.New("login refused")
	// ErrBanned is returned when the client has banned this address after failed logins.
	ErrBanned = errors.New("address banned by the client after failed logins")
	// ErrUnsupported is returned for an action the client has no notion of.
	ErrUnsupported = errors.New("not supported by this client")
)

// RemoteError is an error the client's API reported in its own words.
type RemoteError struct{ Message string }

func (e *RemoteError) Error() string { return "the client answered: " + e.Message }
