// Command seedgate-hook is the program a torrent client's own hook runs: it tells seedgate to
// look at that client now, with one signed call. It is `seedgate hook` without the rest of
// seedgate linked in, so it starts in a third of the time (see torrent/hookcall).
package main

import (
	"os"

	"github.com/seedgate/seedgate/torrent/hookcall"
)

func main() {
	os.Exit(hookcall.Main("seedgate-hook", os.Args[1:], os.Stderr))
}
