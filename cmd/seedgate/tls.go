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
	conf, err := serverTLS("hooks.tls", c.CertFile, c.KeyFile)
	if err != nil {
		return nil, err
	}
	if c.ClientCAFile != "" {
		pool, err := crypto.LoadCertPool(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("hooks.tls.client_ca_file: %w", err)
		}
		conf.ClientCAs, conf.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return conf, nil
}

// serverTLS is a listener's TLS settings from its certificate and key files; key names the
// config section in the error.
func serverTLS(key, certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s.cert_file/key_file: %w", key, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
