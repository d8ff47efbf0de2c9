package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/torrent"
)

const hookUsage = `seedgate hook — the program a torrent client's own hook runs; tells seedgate to look now

  seedgate hook --url URL --secret-file FILE --client NAME --event EVENT [--hash H] [--name N] [HASH [NAME ...]]

The hash and name come from --hash/--name, else from the first two arguments after the flags
(Deluge's Execute plugin passes id, name, location), else from Transmission's TR_TORRENT_HASH and
TR_TORRENT_NAME. It signs the call
(HMAC-SHA256 over timestamp, nonce and body) with the shared secret and exits non-zero, saying
why, when seedgate refuses it. See docs/hooks.md for each client's line.
`

// runHook implements `seedgate hook`. It is quick and quiet on success: clients run it for
// every torrent.
func runHook(args []string, stderr io.Writer) int {
	flags := flag.NewFlagSet("hook", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, hookUsage); flags.PrintDefaults() }
	url := flags.String("url", "http://127.0.0.1:29343/v1/hooks", "seedgate's hook endpoint")
	secretFile := flags.String("secret-file", "", "file with the shared hook secret (0600)")
	var call torrent.HookCall
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
	tlsConf, err := hookClientTLS(*caFile, *certFile, *keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate hook: %v\n", err)
		return 2
	}
	if rest := flags.Args(); len(rest) > 0 && !flagSet(flags, "hash") {
		call.Hash = rest[0]
		if len(rest) > 1 && !flagSet(flags, "name") {
			call.Name = rest[1]
		}
	}
	if call.Client == "" || call.Event == "" || *secretFile == "" {
		fmt.Fprintln(stderr, "seedgate hook: --client, --event and --secret-file are required")
		return 2
	}
	secret, err := crypto.LoadSecret(*secretFile)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate hook: %v\n", err)
		return 1
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	call.Hash = strings.ToLower(call.Hash)
	body, _ := json.Marshal(call)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *url, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "seedgate hook: --url: %v\n", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(crypto.HookHeader, crypto.SignHook(secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate hook: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		fmt.Fprintf(stderr, "seedgate hook: refused with HTTP %d: %s\n", resp.StatusCode, strings.TrimSpace(string(answer)))
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
