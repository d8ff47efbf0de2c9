package config

import "time"

// Config is the whole configuration file.
type Config struct {
	Homeserver     Homeserver      `yaml:"homeserver"`
	Appservice     Appservice      `yaml:"appservice"`
	Matrix         Matrix          `yaml:"matrix"`
	Database       Database        `yaml:"database"`
	Approvers      []Approver      `yaml:"approvers"`
	TorrentClients []TorrentClient `yaml:"torrent_clients"`
	Policies       []Policy        `yaml:"policies"`
	API            API             `yaml:"api"`
	Logging        Logging         `yaml:"logging"`
}

// Homeserver says where the Matrix homeserver is.
type Homeserver struct {
	Address string `yaml:"address"`
	Domain  string `yaml:"domain"`
}

// Appservice configures the application-service side.
type Appservice struct {
	Registration   string `yaml:"registration"`
	Listen         string `yaml:"listen"`
	PublicURL      string `yaml:"public_url"`
	ID             string `yaml:"id"`
	BotPrefix      string `yaml:"bot_prefix"`
	PuppetPrefix   string `yaml:"puppet_prefix"`
	BotDisplayname string `yaml:"bot_displayname"`
}

// Matrix configures the approvals room.
type Matrix struct {
	RoomName  string   `yaml:"room_name"`
	RoomID    string   `yaml:"room_id"`
	Observers []string `yaml:"observers"`
}

// Database says where state is kept.
type Database struct {
	Path    string `yaml:"path"`
	KeysDir string `yaml:"keys_dir"`
}

// Approver is one person who may approve.
type Approver struct {
	Name       string   `yaml:"name"`
	MatrixIDs  []string `yaml:"matrix_ids"`
	DeviceKeys []string `yaml:"device_keys"`
}

// TorrentClient is one torrent client to watch.
type TorrentClient struct {
	Name         string   `yaml:"name"`
	Type         string   `yaml:"type"`
	URL          string   `yaml:"url"`
	Username     string   `yaml:"username"`
	Password     Secret   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	PollInterval Duration `yaml:"poll_interval"`
	Host         string   `yaml:"host"`
}

// Policy maps torrent events to an outcome.
type Policy struct {
	Name           string   `yaml:"name"`
	Events         []string `yaml:"events"`
	Outcome        string   `yaml:"outcome"`
	Quorum         int      `yaml:"quorum"`
	TTL            Duration `yaml:"ttl"`
	AllowUnsafeTTL bool     `yaml:"allow_unsafe_ttl"`
	OnApprove      string   `yaml:"on_approve"`
	OnDeny         string   `yaml:"on_deny"`
	OnExpiry       string   `yaml:"on_expiry"`
	MinAssurance   string   `yaml:"min_assurance"`
}

// API configures the HTTP API (signed approvals from devices).
type API struct {
	Listen string `yaml:"listen"`
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
