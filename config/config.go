package config

import (
	"regexp"
	"time"

	"github.com/seedgate/seedgate/torrent/kind"
)

// Config is the whole configuration file.
type Config struct {
	Homeserver     Homeserver          `yaml:"homeserver"`
	Appservice     Appservice          `yaml:"appservice"`
	Matrix         Matrix              `yaml:"matrix"`
	Database       Database            `yaml:"database"`
	Approvers      []Approver          `yaml:"approvers"`
	TorrentClients []TorrentClient     `yaml:"torrent_clients"`
	Groups         map[string][]string `yaml:"groups"`
	Policies       []Policy            `yaml:"policies"`
	API            API                 `yaml:"api"`
	Metrics        Metrics             `yaml:"metrics"`
	Hooks          Hooks               `yaml:"hooks"`
	Bridges        Bridges             `yaml:"bridges"`
	Passkeys       Passkeys            `yaml:"passkeys"`
	Logging        Logging             `yaml:"logging"`
}

// Homeserver says where the Matrix homeserver is.
type Homeserver struct {
	Address string `yaml:"address"`
	Domain  string `yaml:"domain"`
}

// Appservice configures the application-service side.
type Appservice struct {
	Registration string `yaml:"registration"`
	Listen       string `yaml:"listen"`
	PublicURL    string `yaml:"public_url"`
	ID           string `yaml:"id"`
	BotPrefix    string `yaml:"bot_prefix"`
	// BotLocalpart is the bot user's localpart. Empty: `-g` keeps the one of an existing
	// registration, or makes bot_prefix plus a random suffix for a new one.
	BotLocalpart   string `yaml:"bot_localpart"`
	PuppetPrefix   string `yaml:"puppet_prefix"`
	BotDisplayname string `yaml:"bot_displayname"`
	// Encryption is how the bot's device gets what end-to-end encryption needs: "sync" (its
	// own /sync loop: Dendrite; Synapse refuses /sync to appservice users), "appservice"
	// (pushed in transactions: MSC2409 and MSC3202, Synapse behind experimental flags), or
	// "auto" (the default: sync where the homeserver serves it, else appservice).
	Encryption string `yaml:"encryption"`
	// MSC4190 creates the bot's device with the appservice API instead of a login (Synapse's
	// MSC4190, needed where logins go through an OIDC server). Only with Encryption "appservice".
	MSC4190 bool `yaml:"msc4190"`
}

// Encryption modes of the bot's device.
const (
	EncryptionAuto       = "auto"
	EncryptionSync       = "sync"
	EncryptionAppservice = "appservice"
)

// Matrix configures the approvals room.
type Matrix struct {
	RoomName  string   `yaml:"room_name"`
	RoomID    string   `yaml:"room_id"`
	Observers []string `yaml:"observers"`
	// MentionLimit caps how many cards mention (and so notify) one approver per ten minutes.
	MentionLimit int `yaml:"mention_limit"`
	// GroupRooms adopts an existing encrypted room for a group's cards; a group not listed
	// gets a room the bot creates.
	GroupRooms map[string]string `yaml:"group_rooms"`
	// EnrollMinTrust is the trust a Matrix device needs before its `!sg enroll` and
	// `!sg revoke` commands count.
	EnrollMinTrust string `yaml:"enroll_min_trust"`
}

// Database says where state is kept.
type Database struct {
	Type    string `yaml:"type"`
	Path    string `yaml:"path"`
	URI     Secret `yaml:"uri"`
	URIFile string `yaml:"uri_file"`
	KeysDir string `yaml:"keys_dir"`
	// Standby makes a seedgate that finds another active on the database wait and take over
	// when its lease lapses, instead of refusing to start.
	Standby bool `yaml:"standby"`
	// LeaseTTL is how long the active seedgate's lease lasts unrenewed.
	LeaseTTL Duration `yaml:"lease_ttl"`
}

// Target is what the store opens: the SQLite path or the PostgreSQL URI.
func (d Database) Target() string {
	if d.Type == "postgres" {
		return d.URI.Value()
	}
	return d.Path
}

// Approver is one person who may approve.
type Approver struct {
	Name       string   `yaml:"name"`
	MatrixIDs  []string `yaml:"matrix_ids"`
	DeviceKeys []string `yaml:"device_keys"`
	// Routes are where to reach the person away from Matrix, in order of preference.
	Routes []Route `yaml:"routes"`
}

// Route is one way to reach a person through a courier.
type Route struct {
	Via string `yaml:"via"` // signal, twilio or rbm
	To  string `yaml:"to"`  // the person's phone number, +E164
}

// Bridges configures the couriers to people away from Matrix.
type Bridges struct {
	// ReceiptTimeout is how long a route has to report delivery before the next is tried.
	ReceiptTimeout Duration `yaml:"receipt_timeout"`
	// MessageTTL is how long a courier may hold a card for an offline phone.
	MessageTTL Duration `yaml:"message_ttl"`
	// WebhookListen serves Twilio's and RBM's webhooks; PublicURL is where they reach it.
	WebhookListen string       `yaml:"webhook_listen"`
	PublicURL     string       `yaml:"public_url"`
	Signal        SignalBridge `yaml:"signal"`
	Twilio        TwilioBridge `yaml:"twilio"`
	RBM           RBMBridge    `yaml:"rbm"`
}

// SignalBridge is a signal-cli JSON-RPC daemon: http://host:port or unix:///path/to/socket.
type SignalBridge struct {
	URL     string `yaml:"url"`
	Account string `yaml:"account"`
}

// TwilioBridge is a Twilio account sending RCS through a Messaging Service.
type TwilioBridge struct {
	APIURL              string `yaml:"api_url"`
	AccountSID          string `yaml:"account_sid"`
	AuthToken           Secret `yaml:"auth_token"`
	AuthTokenFile       string `yaml:"auth_token_file"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
}

// RBMBridge is a Google RCS Business Messaging agent.
type RBMBridge struct {
	APIURL             string `yaml:"api_url"`
	AgentID            string `yaml:"agent_id"`
	ServiceAccountFile string `yaml:"service_account_file"`
	ClientToken        Secret `yaml:"client_token"`
	ClientTokenFile    string `yaml:"client_token_file"`
}

// TorrentClient is one torrent client to watch.
type TorrentClient struct {
	Name         string   `yaml:"name"`
	Type         string   `yaml:"type"`
	URL          string   `yaml:"url"`
	Username     string   `yaml:"username"`
	Password     Secret   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	APIKey       Secret   `yaml:"api_key"`
	APIKeyFile   string   `yaml:"api_key_file"`
	PollInterval Duration `yaml:"poll_interval"`
	Host         string   `yaml:"host"`
	// Gate is where seedgate stands: GateDoor (the client adds every torrent stopped and
	// seedgate starts what no policy holds) or GateAfterStart (torrents start as added and
	// seedgate stops the held ones as soon as it sees them).
	Gate string `yaml:"gate"`
}

// Settings is what the client's adapter is built from (torrent.New), secrets as loaded.
func (tc TorrentClient) Settings() kind.Settings {
	return kind.Settings{Type: tc.Type, Name: tc.Name, URL: tc.URL, Username: tc.Username,
		Password: tc.Password.Value(), APIKey: tc.APIKey.Value()}
}

// Policy maps torrent events (and API requests) to an outcome. Empty match lists match anything.
type Policy struct {
	Name        string   `yaml:"name"`
	Events      []string `yaml:"events"`
	Actions     []string `yaml:"actions"`
	Clients     []string `yaml:"clients"`
	Categories  []string `yaml:"categories"`
	Tags        []string `yaml:"tags"`
	Trackers    []string `yaml:"trackers"`
	Hosts       []string `yaml:"hosts"`
	NamePattern string   `yaml:"name_pattern"`
	// nameRE is NamePattern compiled by Validate.
	nameRE  *regexp.Regexp
	MinSize Size `yaml:"min_size"`
	MaxSize Size `yaml:"max_size"`

	Outcome        string   `yaml:"outcome"`
	Approvers      []string `yaml:"approvers"`
	Quorum         int      `yaml:"quorum"`
	DenyThreshold  int      `yaml:"deny_threshold"`
	DigestAfter    int      `yaml:"digest_after"`
	DigestWindow   Duration `yaml:"digest_window"`
	TTL            Duration `yaml:"ttl"`
	AllowUnsafeTTL bool     `yaml:"allow_unsafe_ttl"`
	OnApprove      string   `yaml:"on_approve"`
	OnDeny         string   `yaml:"on_deny"`
	OnExpiry       string   `yaml:"on_expiry"`
	MinAssurance   string   `yaml:"min_assurance"`
	MinTrust       string   `yaml:"min_trust"`
	// PasskeyAttestation "required" counts passkey votes on this policy's requests only from
	// attested authenticators on PasskeyAAGUIDs (any model when empty); "" or "none" takes
	// any passkey that passkeys.attestation admits.
	PasskeyAttestation string   `yaml:"passkey_attestation"`
	PasskeyAAGUIDs     []string `yaml:"passkey_aaguids"`
	// Metadata says what a held magnet without metadata is decided on: MetadataKnown (what
	// is known: its name and hash) or MetadataFetchFirst (it runs until its metadata arrives,
	// talking to DHT peers and trackers, and is stopped then).
	Metadata string `yaml:"metadata"`
}

// PolicyNamed returns the policy called name.
func (c *Config) PolicyNamed(name string) (Policy, bool) {
	for _, p := range c.Policies {
		if p.Name == name {
			return p, true
		}
	}
	return Policy{}, false
}

// API configures the HTTP API.
type API struct {
	Listen  string      `yaml:"listen"`
	Callers []APICaller `yaml:"callers"`
}

// APICaller is one automation allowed to ask for approvals, with its bearer token.
type APICaller struct {
	Name      string `yaml:"name"`
	Token     Secret `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// Scope is what the token may read: "own" (default), the requests it asked for; "all",
	// every request (a dashboard).
	Scope string `yaml:"scope"`
}

// API caller scopes.
const (
	ScopeOwn = "own"
	ScopeAll = "all"
)

// Hooks configures the listener for the torrent clients' own hooks (`seedgate hook`).
type Hooks struct {
	Listen     string   `yaml:"listen"`
	SecretFile string   `yaml:"secret_file"`
	Window     Duration `yaml:"window"`
	TLS        HookTLS  `yaml:"tls"`
}

// HookTLS serves the hook endpoint over TLS, and with ClientCAFile requires each caller to
// present a certificate that CA signed (mutual TLS).
type HookTLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
}

// Metrics configures the Prometheus and health listener.
type Metrics struct {
	Listen    string `yaml:"listen"`
	Profiling bool   `yaml:"profiling"`
}

// Logging configures the log output.
type Logging struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Duration is a time.Duration written as "10m", "1s" in YAML.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written as 1500000, "700MB" or "4GiB" in YAML.
type Size int64

// Secret is a string that never prints itself, so it cannot leak into logs or errors.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Value returns the secret itself; call it only where the secret is used.
func (s Secret) Value() string { return string(s) }
