package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/seedgate/seedgate/store"
)

const outboxUsage = `usage: seedgate outbox [list] [-c config.yaml]   messages to couriers not confirmed delivered
       seedgate outbox retry [ID] [-c config.yaml]  send waiting (held or retrying) messages now:
                                                    one by id, or all; e.g. after re-trusting a
                                                    changed Signal safety number`

// runOutbox implements `seedgate outbox`.
func runOutbox(args []string, stdout, stderr io.Writer) int {
	verb := "list"
	if len(args) > 0 && (args[0] == "list" || args[0] == "retry") {
		verb, args = args[0], args[1:]
	}
	flags := flag.NewFlagSet("outbox", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, outboxUsage) }
	configPath := flags.String("c", "config.yaml", "configuration file")
	id := ""
	if verb == "retry" && len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if err := flags.Parse(args); err != nil || flags.NArg() > 0 {
		fmt.Fprintln(stderr, outboxUsage)
		return 2
	}
	ctx := context.Background()
	st, code := openForCommand(ctx, *configPath, stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	if verb == "retry" {
		n, err := st.RetryNow(ctx, id, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "seedgate: %v\n", err)
			return 1
		}
		if n == 0 && id != "" {
			fmt.Fprintf(stderr, "seedgate: no waiting message %s (see `seedgate outbox`)\n", id)
			return 1
		}
		fmt.Fprintf(stdout, "%d message(s) due now; a running seedgate sends them within a second\n", n)
		return 0
	}
	msgs, err := st.ListOutboxUndelivered(ctx, 100)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tREQUEST\tROUTE\tTO\tSTATE\tATTEMPTS\tNEXT\tLAST ERROR")
	for _, m := range msgs {
		next := "-"
		if m.State == store.OutboxRetry || m.State == store.OutboxPending {
			next = m.NextAttempt.Format(time.DateTime)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.RequestID, m.Route, m.Recipient, m.State, m.Attempts, next, m.LastError)
	}
	_ = w.Flush()
	return 0
}
