package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// runKeys implements `seedgate keys`: the gateway's public key for devices to pin, and the
// enrolled device keys with their fingerprints.
func runKeys(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("keys", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("c", "config.yaml", "configuration file")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 2
	}
	gw, err := crypto.LoadOrCreateGatewayKey(filepath.Join(cfg.Database.KeysDir, "gateway.key"))
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Gateway key (pin it on each device with -g):\n%s\n", gw.Public())
	for _, a := range cfg.Approvers {
		for _, line := range a.DeviceKeys {
			if k, err := crypto.ParseEnrollment(line); err == nil {
				fmt.Fprintf(stdout, "device key of %s: %s\n", a.Name, k.Fingerprint())
			}
		}
	}
	return 0
}
