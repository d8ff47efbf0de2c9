package main

import (
	"context"
	"fmt"
	"io"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// openForCommand loads the config and opens its existing database for a subcommand that reads
// or repairs state (audit, keys, trust, outbox): it never creates a database. On failure it has
// said why on stderr and returns the exit code: 2 for the config, 1 for the database.
func openForCommand(ctx context.Context, configPath string, stderr io.Writer) (*store.Store, int) {
	cfg, err := config.Load(configPath)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return nil, 2
	}
	st, err := store.OpenExisting(ctx, cfg.Database.Type, cfg.Database.Target())
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return nil, 1
	}
	return st, 0
}
