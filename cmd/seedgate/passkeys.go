package main

import (
	"crypto/tls"
	"fmt"
	"path/filepath"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/passkey"
	"github.com/seedgate/seedgate/store"
)

// newPasskeys builds the passkey pages' server, or nil when passkeys.listen is not set. Its
// link secret lives in keys_dir beside the gateway key: links and user handles made before a
// restart stay valid after it.
func newPasskeys(cfg *config.Config, st *store.Store) (*passkey.Server, *tls.Config, error) {
	if !cfg.Passkeys.Enabled() {
		return nil, nil, nil
	}
	secret, err := crypto.LoadOrCreateSecret(filepath.Join(cfg.Database.KeysDir, crypto.PasskeyLinkKeyFile), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("database.keys_dir: %w", err)
	}
	srv, err := passkey.New(cfg, st, secret)
	if err != nil {
		return nil, nil, err
	}
	t := cfg.Passkeys.TLS
	if t.CertFile == "" {
		return srv, nil, nil
	}
	conf, err := serverTLS("passkeys.tls", t.CertFile, t.KeyFile)
	if err != nil {
		return nil, nil, err
	}
	return srv, conf, nil
}
