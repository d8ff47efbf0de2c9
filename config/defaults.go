package config

import (
	"os"
	"path/filepath"
	"time"
)

// MaxSafeTTL is the longest a request may stay open without allow_unsafe_ttl
// (OWASP ASVS 2.7.2, NIST 800-63B 5.1.3.2).
const MaxSafeTTL = 10 * time.Minute

func (c *Config) applyDefaults() {
	setDefault(&c.Appservice.Registration, "registration.yaml")
	setDefault(&c.Appservice.Listen, "127.0.0.1:29340")
	setDefault(&c.Appservice.PublicURL, "http://"+c.Appservice.Listen)
	setDefault(&c.Appservice.ID, "seedgate")
	setDefault(&c.Appservice.BotPrefix, "seedgate_")
	setDefault(&c.Appservice.PuppetPrefix, "seedgate_puppet_")
	setDefault(&c.Appservice.BotDisplayname, "seedgate")
	setDefault(&c.Matrix.RoomName, "seedgate approvals")
	setDefault(&c.Appservice.Encryption, EncryptionAuto)
	setDefault(&c.Matrix.EnrollMinTrust, "cross-signed-tofu")
	if c.Matrix.MentionLimit == 0 {
		c.Matrix.MentionLimit = 10
	}
	setDefault(&c.Database.Type, "sqlite")
	setDefault(&c.Database.Path, "seedgate.db")
	setDefault(&c.Database.KeysDir, filepath.Dir(c.Database.Path))
	if c.Database.LeaseTTL == 0 {
		c.Database.LeaseTTL = Duration(15 * time.Second)
	}
	setDefault(&c.Passkeys.Attestation, AttestationNone)
	setDefault(&c.Hooks.SecretFile, filepath.Join(c.Database.KeysDir, "hook.secret"))
	if c.Hooks.Window == 0 {
		c.Hooks.Window = Duration(time.Minute)
	}
	c.Bridges.applyDefaults()
	setDefault(&c.Logging.Level, "info")
	setDefault(&c.Logging.Format, "json")
	host, _ := os.Hostname()
	for i := range c.TorrentClients {
		tc := &c.TorrentClients[i]
		setDefault(&tc.Username, "admin")
		setDefault(&tc.Host, host)
		setDefault(&tc.Gate, GateDoor)
		if tc.PollInterval == 0 {
			tc.PollInterval = Duration(500 * time.Millisecond)
		}
	}
	for i := range c.Policies {
		p := &c.Policies[i]
		setDefault(&p.Outcome, OutcomeHold)
		setDefault(&p.OnApprove, ActionResume)
		setDefault(&p.OnDeny, ActionRemove)
		setDefault(&p.OnExpiry, ActionRemove)
		setDefault(&p.MinAssurance, AssuranceHomeserver)
		setDefault(&p.MinTrust, "cross-signed-tofu")
		setDefault(&p.Metadata, MetadataKnown)
		if p.Quorum == 0 {
			p.Quorum = 1
		}
		if p.DenyThreshold == 0 {
			p.DenyThreshold = 1
		}
		if p.DigestWindow == 0 {
			p.DigestWindow = Duration(time.Minute)
		}
		if p.TTL == 0 {
			p.TTL = Duration(MaxSafeTTL)
		}
	}
}

func setDefault(field *string, value string) {
	if *field == "" {
		*field = value
	}
}
