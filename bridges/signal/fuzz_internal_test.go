package signal

import (
	"strings"
	"testing"
)

// FuzzReadEvents: any event stream is parsed or refused, never a crash.
func FuzzReadEvents(f *testing.F) {
	f.Add("event:receive\ndata:{\"envelope\":{\"sourceNumber\":\"+15550101\",\"dataMessage\":{\"timestamp\":1,\"message\":\"hi\"}}}\n\n")
	f.Add(":\n\nevent:other\ndata:x\n\n")
	f.Add("data:{\n\n")
	f.Fuzz(func(t *testing.T, stream string) {
		_ = readEvents(strings.NewReader(stream), func(Envelope) {})
	})
}
