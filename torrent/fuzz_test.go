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

// FuzzDecodeMainData: whatever qBittorrent (or something in its place) answers to
// sync/maindata, the decoder returns records or an error, never panics, and never changes the
// records already held (a partial update decodes over a copy).
func FuzzDecodeMainData(f *testing.F) {
	f.Add(`{"rid":2,"torrents":{"AAAA":{"progress":1,"state":"uploading"}},"torrents_removed":["bbbb"]}`)
	f.Add(`{"rid":1,"full_update":true,"torrents":{"cccc":{"name":"n","size":7,"state":"stoppedDL","tags":"a,b"}},"trackers":{"x":["cccc"]}}`)
	f.Add(`{"torrents":[1,{"a":[{}]}],"rid":"3"}`)
	f.Add(`{"rid":2,"torrents":{"aaaa":{"name":null}}} {}`)
	held := (&qbTorrent{Name: "held", Size: 5, State: "stoppedUP", Category: "isos"}).compact()
	f.Fuzz(func(t *testing.T, answer string) {
		known := map[string]qbRecord{"aaaa": held}
		md, err := decodeMainData(strings.NewReader(answer), known)
		if known["aaaa"] != held || len(known) != 1 {
			t.Fatalf("decoding changed the held records: %+v", known)
		}
		if err != nil {
			return
		}
		for _, u := range md.updated {
			if u.hash != strings.ToLower(u.hash) {
				t.Fatalf("hash %q kept its capitals", u.hash)
			}
		}
	})
}
