package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
)

// runKeys implements `seedgate keys [rotate]`: the gateway's public key for devices to pin (and
// the staged next one), the enrolled device keys with their fingerprints, and key rotation.
func runKeys(args []string, stdout, stderr io.Writer) int {
	rotate := len(args) > 0 && args[0] == "rotate"
	if rotate {
		args = args[1:]
	}
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
	dir := cfg.Database.KeysDir
	if rotate {
		staged, key, err := crypto.RotateGatewayKey(dir, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "seedgate: %v\n", err)
			return 1
		}
		if staged {
			fmt.Fprintf(stdout, "Staged the next gateway key. Pin it on every device beside the current one (a second -g):\n%s\nWhen all devices have it, run 'seedgate keys rotate' again and restart seedgate.\n", key.Public())
		} else {
			fmt.Fprintf(stdout, "Promoted the staged key; restart seedgate to sign with it:\n%s\nDevices may now drop the old key.\n", key.Public())
		}
		return 0
	}
	gw, err := crypto.LoadOrCreateGatewayKey(filepath.Join(dir, crypto.GatewayKeyFile))
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Gateway key (pin it on each device with -g):\n%s\n", gw.Public())
	if next, err := crypto.LoadNextGatewayKey(dir); err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	} else if next != nil {
		fmt.Fprintf(stdout, "Next gateway key, staged for rotation (pin it too):\n%s\n", next.Public())
	}
	for _, a := range cfg.Approvers {
		for _, line := range a.DeviceKeys {
			if k, err := crypto.ParseEnrollment(line); err == nil {
				fmt.Fprintf(stdout, "device key of %s: %s\n", a.Name, k.Fingerprint())
			}
		}
	}
	return 0
}
