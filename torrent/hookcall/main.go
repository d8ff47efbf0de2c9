package hookcall

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/seedgate/seedgate/crypto"
)

const usage = `seedgate-hook — the program a torrent client's own hook runs; tells seedgate to look now

  seedgate-hook --url URL --secret-file FILE --client NAME --event EVENT [--hash H] [--name N] [HASH [NAME ...]]

The hash and name come from --hash/--name, else from the first two arguments after the flags
(Deluge's Execute plugin passes id, name, location), else from Transmission's TR_TORRENT_HASH and
TR_TORRENT_NAME. It signs the call
(HMAC-SHA256 over timestamp, nonce and body) with the shared secret and exits non-zero, saying
why, when seedgate refuses it. See docs/hooks.md for each client's line.
`

// Main runs the hook called name ("seedgate-hook", or "seedgate hook" in the main binary) with
// args and returns its exit code. It is quick and quiet on success: clients run it for every
// torrent.
func Main(name string, args []string, stderr io.Writer) int {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, strings.ReplaceAll(usage, "seedgate-hook", name)); flags.PrintDefaults() }
	url := flags.String("url", "http://127.0.0.1:29343/v1/hooks", "seedgate's hook endpoint")
	secretFile := flags.String("secret-file", "", "file with the shared hook secret (0600)")
	var call Call
	flags.StringVar(&call.Client, "client", "", "the torrent client's name in seedgate's config")
	flags.StringVar(&call.Event, "event", "", "what happened: added, finished, erased...")
	flags.StringVar(&call.Hash, "hash", os.Getenv("TR_TORRENT_HASH"), "info-hash")
	flags.StringVar(&call.Name, "name", os.Getenv("TR_TORRENT_NAME"), "torrent name")
	caFile := flags.String("ca-file", "", "PEM CA that signed the endpoint's certificate (https URLs)")
	certFile := flags.String("cert-file", "", "PEM client certificate, when the endpoint requires mutual TLS")
	keyFile := flags.String("key-file", "", "PEM key of --cert-file")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	tlsConf, err := clientTLS(*caFile, *certFile, *keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if rest := flags.Args(); len(rest) > 0 && !flagSet(flags, "hash") {
		call.Hash = rest[0]
		if len(rest) > 1 && !flagSet(flags, "name") {
			call.Name = rest[1]
		}
	}
	if call.Client == "" || call.Event == "" || *secretFile == "" {
		fmt.Fprintf(stderr, "%s: --client, --event and --secret-file are required\n", name)
		return 2
	}
	secret, err := crypto.LoadSecret(*secretFile)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	call.Hash = strings.ToLower(call.Hash)
	body, _ := json.Marshal(call)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *url, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "%s: --url: %v\n", name, err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(crypto.HookHeader, crypto.SignHook(secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		fmt.Fprintf(stderr, "%s: refused with HTTP %d: %s\n", name, resp.StatusCode, strings.TrimSpace(string(answer)))
		return 1
	}
	return 0
}

// flagSet reports whether the flag was given on the command line.
func flagSet(flags *flag.FlagSet, name string) bool {
	set := false
	flags.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// clientTLS returns the hook's TLS settings: the CA that signed the endpoint's certificate
// (else the system's) and the caller's own certificate for mutual TLS.
func clientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := crypto.LoadCertPool(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		conf.RootCAs = pool
	}
	if (certFile != "") != (keyFile != "") {
		return nil, fmt.Errorf("--cert-file and --key-file go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert-file/--key-file: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}
