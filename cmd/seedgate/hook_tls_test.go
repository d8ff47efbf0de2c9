package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// testCA issues certificates for the mutual-TLS test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: dir}
	writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
	return ca
}

// issue writes name.pem and name.key, a leaf for 127.0.0.1 and localhost usable by servers and clients.
func (ca *testCA) issue(t *testing.T, name string, serial int64) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHookMutualTLS: with hooks.tls.client_ca_file set, `seedgate hook` gets through only
// with a client certificate that CA signed; without one, or with one from another CA, the
// TLS handshake fails before any request is read.
func TestHookMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "hooks-ca")
	serverCert, serverKey := ca.issue(t, "server", 2)
	clientCert, clientKey := ca.issue(t, "client", 3)
	stranger := newTestCA(t, dir, "other-ca")
	strangerCert, strangerKey := stranger.issue(t, "stranger", 4)

	tlsConf, err := hookServerTLS(config.HookTLS{CertFile: serverCert, KeyFile: serverKey, ClientCAFile: filepath.Join(dir, "hooks-ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.WriteHeader(http.StatusAccepted)
	})
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bound, err := bindListener("hooks", "127.0.0.1:"+port, handler, tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	defer bound.serve(ctx).Close()
	secretFile := filepath.Join(dir, "hook.secret")
	if _, err = crypto.LoadOrCreateSecret(secretFile, 32); err != nil {
		t.Fatal(err)
	}
	hook := func(extra ...string) (int, string) {
		args := append([]string{"--url", "https://127.0.0.1:" + port + "/v1/hooks", "--secret-file", secretFile,
			"--client", "box", "--event", "added", "--ca-file", filepath.Join(dir, "hooks-ca.pem")}, extra...)
		var stderr bytes.Buffer
		code := runHook(append(args, "0123456789abcdef0123456789abcdef01234567", "name"), &stderr)
		return code, stderr.String()
	}
	if code, out := hook("--cert-file", clientCert, "--key-file", clientKey); code != 0 || reached != 1 {
		t.Fatalf("with the CA's client certificate: exit %d (%s), handler reached %d times", code, out, reached)
	}
	if code, out := hook(); code == 0 || reached != 1 || !strings.Contains(out, "certificate") {
		t.Fatalf("without a client certificate: exit %d (%s), handler reached %d times", code, out, reached)
	}
	if code, out := hook("--cert-file", strangerCert, "--key-file", strangerKey); code == 0 || reached != 1 {
		t.Fatalf("with another CA's certificate: exit %d (%s), handler reached %d times", code, out, reached)
	}
	if code, out := hook("--cert-file", clientCert); code != 2 || !strings.Contains(out, "go together") {
		t.Fatalf("--cert-file without --key-file: exit %d (%s)", code, out)
	}
	if _, err = hookServerTLS(config.HookTLS{CertFile: serverCert, KeyFile: serverKey, ClientCAFile: serverKey}); err == nil ||
		!strings.Contains(err.Error(), "client_ca_file") {
		t.Fatalf("a client CA file without a certificate: %v", err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
