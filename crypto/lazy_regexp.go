package crypto

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use. The grammars here have long counted repetitions
// ({86}, {1,500}), which compile to large programs: compiled at init they cost every start of
// the binary about 1.5 ms and 650 KB, `seedgate hook` included, which runs once per torrent
// event and uses none of them.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
