package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/seedgate/seedgate/store"
)

// runAudit implements `seedgate audit verify|export`.
func runAudit(args []string) int {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "export") {
		fmt.Fprintln(os.Stderr, "usage: seedgate audit verify|export [-c config.yaml]")
		return 2
	}
	flags := flag.NewFlagSet("audit", flag.ContinueOnError)
	configPath := flags.String("c", "config.yaml", "configuration file")
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	st, code := openForCommand(ctx, *configPath, os.Stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	if args[0] == "verify" {
		n, err := st.VerifyAudit(ctx)
		if err != nil {
			fmt.Fprintf(os.Stderr, "audit log: %v (after %d good entries)\n", err, n)
			return 1
		}
		fmt.Printf("audit log intact: %d entries\n", n)
		return 0
	}
	enc := json.NewEncoder(os.Stdout)
	err := st.EachAudit(ctx, func(e *store.AuditEntry) error { return enc.Encode(e) })
	if err != nil {
		fmt.Fprintf(os.Stderr, "seedgate: %v\n", err)
		return 1
	}
	return 0
}
