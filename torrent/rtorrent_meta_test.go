package torrent

import "testing"

// TestRTorrentMagnetIsNeverKnown: rTorrent lists a magnet without metadata as "<HASH>.meta"
// with the placeholder's size. Stopped (door mode adds it stopped) it once read as a torrent of
// known size and name, so a hold policy matching on the name let it through.
func TestRTorrentMagnetIsNeverKnown(t *testing.T) {
	for _, state := range []int64{0, 1} {
		fields := []any{"118FB52DCD7B9B115E1ECDAEF84B016A4BA74091", "118FB52DCD7B9B115E1ECDAEF84B016A4BA74091.meta",
			int64(1), int64(0), state, state, int64(0), int64(0), "", "", "/downloads", int64(1), int64(1_800_000_000)}
		got := rtorrentTorrent(fields)
		if got.MetadataKnown() || got.Size != 0 {
			t.Fatalf("a magnet without metadata (d.state=%d) reads as known: %+v", state, got)
		}
	}
}
