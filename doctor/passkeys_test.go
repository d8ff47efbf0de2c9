package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/passkey"
)

// TestPasskeyChecksNameEachFault runs the passkey checks against the real pages, then with
// one fault at a time: a certificate for another name, one about to expire, nothing listening,
// and a proxy that drops the pages' security policy.
func TestPasskeyChecksNameEachFault(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := crypto.LoadOrCreateSecret(filepath.Join(dir, crypto.PasskeyLinkKeyFile), 32); err != nil {
		t.Fatal(err)
	}
	serve := func(h http.Handler) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		return fmt.Sprintf("localhost:%d", l.Addr().(*net.TCPAddr).Port)
	}
	cfgFor := func(hostPort string) *config.Config {
		cfg := &config.Config{Database: config.Database{KeysDir: dir},
			Passkeys: config.Passkeys{Listen: hostPort, PublicURL: "http://" + hostPort, Attestation: config.AttestationNone}}
		return cfg
	}
	pages, err := passkey.New(cfgFor("localhost:1"), nil, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	healthy := cfgFor(serve(pages.Handler(zerolog.Nop())))
	for _, r := range checkPasskeys(ctx, healthy) {
		if r.Status != OK {
			t.Fatalf("a healthy setup reported %s: %s", r.Name, r.Detail)
		}
	}
	find := func(results []Result, name string) Result {
		for _, r := range results {
			if r.Name == name {
				return r
			}
		}
		t.Fatalf("no %s check in %+v", name, results)
		return Result{}
	}
	cases := []struct {
		name  string
		cfg   func() *config.Config
		check string
		want  Status
		says  string
	}{
		{"certificate for another name", func() *config.Config {
			c := cfgFor("localhost:1")
			c.Passkeys.TLS.CertFile, c.Passkeys.TLS.KeyFile = writeCert(t, dir, "other.example.org", time.Now().Add(90*24*time.Hour))
			return c
		}, "passkey TLS", Fail, "use a certificate for localhost"},
		{"certificate about to expire", func() *config.Config {
			c := cfgFor("localhost:1")
			c.Passkeys.TLS.CertFile, c.Passkeys.TLS.KeyFile = writeCert(t, dir, "localhost", time.Now().Add(3*24*time.Hour))
			return c
		}, "passkey TLS", Warn, "expires"},
		{"nothing listening", func() *config.Config { return cfgFor("localhost:1") }, "passkey pages", Warn, "not reachable"},
		{"policy dropped by a proxy", func() *config.Config {
			return cfgFor(serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("body{}")) })))
		}, "passkey pages", Fail, "without seedgate's Content-Security-Policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := find(checkPasskeys(ctx, tc.cfg()), tc.check)
			if r.Status != tc.want || !strings.Contains(r.Detail+" "+r.Fix, tc.says) {
				t.Fatalf("%s: %v %q (fix %q), want %v saying %q", tc.check, r.Status, r.Detail, r.Fix, tc.want, tc.says)
			}
		})
	}
}

// writeCert writes a self-signed certificate for name, valid until notAfter, and its key.
func writeCert(t *testing.T, dir, name string, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
