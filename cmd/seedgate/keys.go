package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/store"
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
	gw, err := crypto.LoadGatewayKey(filepath.Join(dir, crypto.GatewayKeyFile))
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
	ctx := context.Background()
	st, err := store.OpenExisting(ctx, cfg.Database.Type, cfg.Database.Target())
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	defer st.Close()
	keys, err := approval.NewKeyring(cfg, st).Keys(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	for _, k := range keys {
		fmt.Fprintf(stdout, "device key of %s: %s (%s)\n", k.Person, k.Key.Fingerprint(), k.Source)
	}
	return 0
}
