package main

import (
	"io"

	"github.com/seedgate/seedgate/torrent/hookcall"
)

// runHook implements `seedgate hook`: the same program as seedgate-hook, for setups that
// already name the main binary in their clients' hook lines.
func runHook(args []string, stderr io.Writer) int {
	return hookcall.Main("seedgate hook", args, stderr)
}
