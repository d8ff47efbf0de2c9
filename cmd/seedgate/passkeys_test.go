package main

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// TestPasskeyPagesOverTLS: with passkeys.tls set, the pages' listener speaks only TLS, with
// the configured certificate, and its answers carry HSTS and the strict policy.
func TestPasskeyPagesOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "ca")
	certFile, keyFile := ca.issue(t, "pages", 2)
	port := freePort(t)
	cfg := &config.Config{Database: config.Database{KeysDir: dir}, Passkeys: config.Passkeys{
		Listen: "127.0.0.1:" + port, PublicURL: "https://localhost:" + port, Attestation: config.AttestationNone,
		TLS: config.ServerTLS{CertFile: certFile, KeyFile: keyFile}}}
	pages, tlsConf, err := newPasskeys(cfg, nil)
	if err != nil || tlsConf == nil {
		t.Fatalf("newPasskeys: %v (TLS %v)", err, tlsConf)
	}
	l, err := bindListener("passkeys", cfg.Passkeys.Listen, pages.Handler(zerolog.Nop()), tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	srv := l.serve(context.Background())
	defer srv.Close()

	pool, err := crypto.LoadCertPool(dir + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(cfg.Passkeys.PublicURL + "/s/page.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("over TLS: %d, headers %v", resp.StatusCode, resp.Header)
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://localhost:" + port + "/s/page.css"); err == nil && resp.StatusCode < 400 {
		t.Fatalf("plain http was served: %d", resp.StatusCode)
	}
}
