package stack

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// TorrentFile is a generated single-file torrent.
type TorrentFile struct {
	Name     string
	Hash     string // lowercase hex v1 info-hash
	Metainfo []byte // the .torrent file
	Size     int64
}

const pieceLength = 16 << 10

// MakeTorrent creates size random bytes, writes them to dataDir/name when dataDir is not
// empty, and returns a trackerless .torrent for them.
func MakeTorrent(dataDir, name string, size int) (*TorrentFile, error) {
	return MakeTorrentAnnounce(dataDir, name, size, "")
}

// MakeTorrentAnnounce is MakeTorrent with a tracker URL (rTorrent refuses trackerless torrents).
func MakeTorrentAnnounce(dataDir, name string, size int, announce string) (*TorrentFile, error) {
	data := make([]byte, size)
	_, _ = rand.Read(data)
	if dataDir != "" {
		if err := os.WriteFile(filepath.Join(dataDir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	var pieces bytes.Buffer
	for off := 0; off < len(data); off += pieceLength {
		sum := sha1.Sum(data[off:min(off+pieceLength, len(data))])
		pieces.Write(sum[:])
	}
	info := map[string]any{"name": name, "length": int64(size), "piece length": int64(pieceLength), "pieces": pieces.String()}
	var infoBuf bytes.Buffer
	if err := bencode(&infoBuf, info); err != nil {
		return nil, err
	}
	hash := sha1.Sum(infoBuf.Bytes())
	var meta bytes.Buffer
	meta.WriteString("d")
	if announce != "" {
		fmt.Fprintf(&meta, "8:announce%d:%s", len(announce), announce)
	}
	meta.WriteString("4:info")
	meta.Write(infoBuf.Bytes())
	meta.WriteString("e")
	return &TorrentFile{Name: name, Hash: hex.EncodeToString(hash[:]), Metainfo: meta.Bytes(), Size: int64(size)}, nil
}

// bencode writes strings, integers and dictionaries (keys sorted, as BEP 3 requires).
func bencode(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case string:
		fmt.Fprintf(buf, "%d:%s", len(x), x)
	case int64:
		fmt.Fprintf(buf, "i%de", x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteString("d")
		for _, k := range keys {
			fmt.Fprintf(buf, "%d:%s", len(k), k)
			if err := bencode(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteString("e")
	default:
		return fmt.Errorf("bencode: unsupported %T", v)
	}
	return nil
}
