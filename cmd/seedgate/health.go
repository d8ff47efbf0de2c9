package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/seedgate/seedgate/config"
)

// runHealth implements `seedgate health [-c CONFIG]`: it asks the running seedgate's
// appservice listener, at the address the config gives, whether it is alive. It is the
// container's health check (the image has no shell and no wget) and exits 0 only on "yes".
func runHealth(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("health", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("c", "config.yaml", "configuration file")
	timeout := flags.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	// Only the appservice section matters here; secrets stay unread.
	cfg, err := config.LoadForRegistration(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 2
	}
	url := "http://" + loopbackFor(cfg.Appservice.Listen) + "/_matrix/mau/live"
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: appservice.listen: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: not alive: %v\n", err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "seedgate: not alive: %s answered HTTP %d\n", url, resp.StatusCode)
		return 1
	}
	fmt.Fprintf(stdout, "seedgate is alive (%s)\n", url)
	return 0
}

// loopbackFor turns a listen address into one to dial on this host: a wildcard host
// (0.0.0.0, ::, empty) is reached on loopback.
func loopbackFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}
