package main

import (
	"crypto/tls"
	"fmt"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// hookServerTLS returns the hook listener's TLS settings, or nil when TLS is off. With a
// client CA it requires and verifies a client certificate from every caller.
func hookServerTLS(c config.HookTLS) (*tls.Config, error) {
	if c.CertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("hooks.tls.cert_file/key_file: %w", err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pool, err := crypto.LoadCertPool(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("hooks.tls.client_ca_file: %w", err)
		}
		conf.ClientCAs, conf.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return conf, nil
}
