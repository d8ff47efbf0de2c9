package metainfo

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"
)

// FuzzInfoHash: any input gives a hash or an error; a hash is the SHA-1 of a slice of the
// input that starts with a dictionary.
func FuzzInfoHash(f *testing.F) {
	f.Add([]byte("d8:announce3:url4:infod4:name1:x6:lengthi1eee"))
	f.Add([]byte("d4:infoi1ee"))
	f.Add([]byte("d4:infold4:infoeeee"))
	f.Fuzz(func(t *testing.T, meta []byte) {
		hash, err := InfoHash(meta)
		if err != nil {
			return
		}
		raw, derr := hex.DecodeString(hash)
		if derr != nil || len(raw) != sha1.Size {
			t.Fatalf("hash %q is not 40 hex digits", hash)
		}
	})
}

func TestInfoHashOfAKnownTorrent(t *testing.T) {
	info := "d6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"
	sum := sha1.Sum([]byte(info))
	got, err := InfoHash([]byte("d8:announce9:http://x/4:info" + info + "e"))
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("InfoHash = %s, %v; want %x", got, err, sum)
	}
}
