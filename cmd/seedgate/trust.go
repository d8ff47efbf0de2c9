package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/seedgate/seedgate/store"
)

// runTrust implements `seedgate trust [list]` and `seedgate trust repin USER KEY`: the
// cross-signing master keys the bot pinned, and the operator's re-pin after a person's master
// key changed. A changed key makes that person's encrypted replies count only as reactions
// until it is re-pinned, since a homeserver admin can reset anyone's cross-signing; the
// operator re-pins only after checking the new key with the person out of band.
func runTrust(args []string, stdout, stderr io.Writer) int {
	verb := "list"
	if len(args) > 0 && (args[0] == "list" || args[0] == "repin") {
		verb, args = args[0], args[1:]
	}
	flags := flag.NewFlagSet("trust", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("c", "config.yaml", "configuration file")
	positional, err := parseInterspersed(flags, args)
	if err != nil {
		return 2
	}
	if verb == "repin" && len(positional) != 2 {
		fmt.Fprintln(stderr, "usage: seedgate trust repin USER_ID MASTER_KEY [-c CONFIG] (both as `seedgate trust` lists them)")
		return 2
	}
	ctx := context.Background()
	st, code := openForCommand(ctx, *configPath, stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	if verb == "repin" {
		user, key := positional[0], positional[1]
		err = st.RepinMasterKey(ctx, user, key, "operator (seedgate trust repin)", time.Now())
		switch {
		case errors.Is(err, store.ErrPinMismatch):
			fmt.Fprintf(stderr, "seedgate: not re-pinned: %s has no changed master key %s waiting; `seedgate trust` lists what was seen\n", user, key)
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "seedgate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Re-pinned the master key of %s to %s (audited). Their cross-signed devices count again.\n", user, key)
		return 0
	}
	pins, err := st.ListMasterKeyPins(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "seedgate: %v\n", err)
		return 1
	}
	if len(pins) == 0 {
		fmt.Fprintln(stdout, "No master keys pinned yet: each is pinned the first time the bot sees that person's cross-signing.")
	}
	for _, p := range pins {
		fmt.Fprintf(stdout, "%s: master key %s (pinned %s by %s)\n", p.UserID, p.Pinned, p.PinnedAt.UTC().Format(time.RFC3339), p.PinnedBy)
		if p.Changed != "" {
			fmt.Fprintf(stdout, "  CHANGED to %s at %s: their devices do not count until you check it with them and run\n  seedgate trust repin %s %s\n",
				p.Changed, p.ChangedAt.UTC().Format(time.RFC3339), p.UserID, p.Changed)
		}
	}
	return 0
}

// parseInterspersed parses flags wherever they stand among the positional arguments
// ("repin USER KEY -c CONFIG" as well as "-c CONFIG repin USER KEY") and returns the latter.
func parseInterspersed(flags *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		if flags.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, flags.Arg(0))
		args = flags.Args()[1:]
	}
}
