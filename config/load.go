package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads, defaults and validates the configuration file at path. The error lists every
// problem found, each with its key path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w%s", path, err, upgradeHint(path, err))
	}
	return cfg, nil
}

// upgradeHint explains unknown keys in a file `seedgate config upgrade` rewrote: an older
// release cannot read the keys a newer one added, and the file before the upgrade is kept.
func upgradeHint(path string, err error) string {
	if !errors.Is(err, ErrUnknownKey) {
		return ""
	}
	backups, _ := filepath.Glob(path + ".before-upgrade-*")
	if len(backups) == 0 {
		return ""
	}
	return fmt.Sprintf(" (a newer seedgate upgraded this file: to run this release, restore %s)", backups[len(backups)-1])
}

// LoadForRegistration reads the configuration for `seedgate -g`: decoded and defaulted like
// Load, but checked only in the sections a registration is made from, and without reading
// secret files, so it works before the torrent clients' passwords are set.
func LoadForRegistration(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := decode(raw)
	if err == nil {
		err = cfg.ValidateForRegistration()
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// decode parses configuration bytes, refusing unknown keys, and applies the defaults.
func decode(raw []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if errs := unknownKeys(&root, reflect.TypeOf(Config{}), ""); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	cfg.applyDefaults()
	return &cfg, nil
}

// Parse decodes and validates configuration bytes.
func Parse(raw []byte) (*Config, error) {
	cfg, err := decode(raw)
	if err != nil {
		return nil, err
	}
	if err := cfg.loadSecretFiles(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) loadSecretFiles() error {
	var errs []error
	readFirstLine := func(path, key string, into *Secret) {
		if path == "" {
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			return
		}
		first, _, _ := strings.Cut(string(data), "\n")
		if first = strings.TrimRight(first, "\r"); strings.TrimSpace(first) == "" {
			errs = append(errs, fmt.Errorf("%s: %s: %w", key, path, ErrEmptySecretFile))
			return
		}
		*into = Secret(first)
	}
	for i := range c.TorrentClients {
		tc := &c.TorrentClients[i]
		readFirstLine(tc.PasswordFile, fmt.Sprintf("torrent_clients[%d].password_file", i), &tc.Password)
		readFirstLine(tc.APIKeyFile, fmt.Sprintf("torrent_clients[%d].api_key_file", i), &tc.APIKey)
	}
	// A secret set both inline and in a file is ambiguous: which one is meant? Refused.
	exactlyOne := func(inline *Secret, file, key string) {
		if *inline != "" && file != "" {
			errs = append(errs, fmt.Errorf("%s: set either %s or %s_file, not both", key, key, key))
			return
		}
		readFirstLine(file, key+"_file", inline)
	}
	exactlyOne(&c.Bridges.Twilio.AuthToken, c.Bridges.Twilio.AuthTokenFile, "bridges.twilio.auth_token")
	exactlyOne(&c.Bridges.RBM.ClientToken, c.Bridges.RBM.ClientTokenFile, "bridges.rbm.client_token")
	if c.Database.URIFile != "" {
		data, err := os.ReadFile(c.Database.URIFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("database.uri_file: %w", err))
		} else if strings.TrimSpace(string(data)) == "" {
			errs = append(errs, fmt.Errorf("database.uri_file: %s: %w", c.Database.URIFile, ErrEmptySecretFile))
		}
		c.Database.URI = Secret(strings.TrimSpace(string(data)))
	}
	for i := range c.API.Callers {
		caller := &c.API.Callers[i]
		if caller.TokenFile == "" {
			continue
		}
		data, err := os.ReadFile(caller.TokenFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("api.callers[%d].token_file: %w", i, err))
			continue
		} else if strings.TrimSpace(string(data)) == "" {
			errs = append(errs, fmt.Errorf("api.callers[%d].token_file: %s: %w", i, caller.TokenFile, ErrEmptySecretFile))
			continue
		}
		caller.Token = Secret(strings.TrimSpace(string(data)))
	}
	return errors.Join(errs...)
}
