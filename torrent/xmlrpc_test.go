package torrent

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestXMLRPCRoundTrip(t *testing.T) {
	body, err := encodeXMLRPC("d.multicall2", []any{"", "main", "d.hash=", []byte{1, 2}, 7})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "<methodName>d.multicall2</methodName>") || !strings.Contains(string(body), "<base64>AQI=</base64>") {
		t.Fatalf("encoded: %s", body)
	}
	answer := `<?xml version="1.0" encoding="UTF-8"?><methodResponse><params><param><value><array><data>
<value><array><data><value><string>ABC&amp;</string></value><value><i8>42</i8></value><value>bare</value></data></array></value>
<value><struct><member><name>k</name><value><i4>-1</i4></value></member></struct></value>
</data></array></value></param></params></methodResponse>`
	v, err := decodeXMLRPC(strings.NewReader(answer))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{[]any{"ABC&", int64(42), "bare"}, map[string]any{"k": int64(-1)}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("decoded %#v, want %#v", v, want)
	}
}

func TestXMLRPCFaultsAndGarbage(t *testing.T) {
	fault := `<?xml version="1.0"?><methodResponse><fault><value><struct>
<member><name>faultCode</name><value><i4>-501</i4></value></member>
<member><name>faultString</name><value><string>Could not find info-hash.</string></value></member>
</struct></value></fault></methodResponse>`
	_, err := decodeXMLRPC(strings.NewReader(fault))
	var f *XMLRPCFault
	if !errors.As(err, &f) || f.Code != -501 || f.String != "Could not find info-hash." {
		t.Fatalf("fault: %v", err)
	}
	for name, garbage := range map[string]string{
		"empty":        "",
		"html":         "<html><body>502 Bad Gateway</body></html>",
		"truncated":    `<methodResponse><params><param><value><array><data><value><i8>1`,
		"bad integer":  `<methodResponse><params><param><value><i8>x</i8></value></param></params></methodResponse>`,
		"unknown type": `<methodResponse><params><param><value><blob>1</blob></value></param></params></methodResponse>`,
	} {
		if _, err := decodeXMLRPC(strings.NewReader(garbage)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRTorrentStates(t *testing.T) {
	row := func(state, active, complete, hashing int64, message string, meta int64) []any {
		return []any{"ABCD", "n", int64(100), int64(50), state, active, complete, hashing, message, "tv%20shows", "/d", meta, int64(0)}
	}
	for name, tc := range map[string]struct {
		row  []any
		want State
	}{
		"stopped":         {row(0, 0, 0, 0, "", 0), StateStopped},
		"paused":          {row(1, 0, 0, 0, "", 0), StateStopped},
		"leeching":        {row(1, 1, 0, 0, "", 0), StateDownloading},
		"seeding":         {row(1, 1, 1, 0, "", 0), StateSeeding},
		"hashing":         {row(1, 1, 0, 1, "", 0), StateChecking},
		"magnet":          {row(1, 1, 0, 0, "", 1), StateMetadata},
		"tracker warning": {row(1, 1, 0, 0, "Tracker: [Timeout was reached]", 0), StateDownloading},
		"storage error":   {row(0, 0, 0, 0, "Storage error: [File chunk write error]", 0), StateErrored},
	} {
		got := rtorrentTorrent(tc.row)
		if got.State != tc.want || got.Hash != "abcd" || got.Category != "tv shows" {
			t.Errorf("%s: %+v, want state %s", name, got, tc.want)
		}
	}
}

func TestDelugeLostEvents(t *testing.T) {
	ev := func(names ...string) [][]json.RawMessage {
		var out [][]json.RawMessage
		for _, n := range names {
			out = append(out, []json.RawMessage{json.RawMessage(`"` + n + `"`), json.RawMessage(`["abc"]`)})
		}
		return out
	}
	one, none, paused := "All=1,Paused=0,Seeding=1", "All=0,Paused=0,Seeding=0", "All=1,Paused=1,Seeding=0"
	for name, tc := range map[string]struct {
		events        [][]json.RawMessage
		before, after string
		explained     bool
	}{
		"no change":                   {nil, one, one, true},
		"removed with its event":      {ev("TorrentRemovedEvent"), one, none, true},
		"removed, only a state event": {ev("TorrentStateChangedEvent"), one, none, false},
		"removed without events":      {nil, one, none, false},
		"paused with its event":       {ev("TorrentStateChangedEvent"), one, paused, true},
		"paused without events":       {nil, one, paused, false},
	} {
		if got := eventsExplain(tc.events, tc.before, tc.after); got != tc.explained {
			t.Errorf("%s: explained = %v, want %v", name, got, tc.explained)
		}
	}
}
