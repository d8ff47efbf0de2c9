package torrent

import (
	"strings"
	"testing"
)

// FuzzDecodeXMLRPC: whatever rTorrent (or something in its place) answers, the decoder
// returns a value or an error, never panics or loops.
func FuzzDecodeXMLRPC(f *testing.F) {
	f.Add(`<?xml version="1.0"?><methodResponse><params><param><value><array><data><value><i8>1</i8></value><value><string>a</string></value></data></array></value></param></params></methodResponse>`)
	f.Add(`<methodResponse><fault><value><struct><member><name>faultCode</name><value><i4>-501</i4></value></member></struct></value></fault></methodResponse>`)
	f.Add(`<methodResponse><params><param><value>bare</value></param></params></methodResponse>`)
	f.Fuzz(func(t *testing.T, answer string) {
		_, _ = decodeXMLRPC(strings.NewReader(answer))
	})
}
