// Package metainfo reads what seedgate needs from .torrent files, with no other dependency.
package metainfo

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// InfoHash returns the lowercase hex v1 info-hash of a .torrent file: the SHA-1 of its info
// dictionary exactly as encoded.
func InfoHash(metainfo []byte) (string, error) {
	if len(metainfo) == 0 || metainfo[0] != 'd' {
		return "", errors.New("not a .torrent file (no bencoded dictionary)")
	}
	i := 1
	for i < len(metainfo) && metainfo[i] != 'e' {
		key, next, err := bencodeString(metainfo, i)
		if err != nil {
			return "", err
		}
		end, err := bencodeSkip(metainfo, next, 0)
		if err != nil {
			return "", err
		}
		if key == "info" {
			if metainfo[next] != 'd' {
				return "", errors.New("malformed .torrent: info is not a dictionary")
			}
			sum := sha1.Sum(metainfo[next:end])
			return hex.EncodeToString(sum[:]), nil
		}
		i = end
	}
	return "", errors.New("not a .torrent file (no info dictionary)")
}

// bencodeString reads a byte string at i and returns it and the index after it.
func bencodeString(b []byte, i int) (string, int, error) {
	colon := i
	for colon < len(b) && b[colon] >= '0' && b[colon] <= '9' {
		colon++
	}
	if colon == i || colon >= len(b) || b[colon] != ':' {
		return "", 0, fmt.Errorf("malformed .torrent: bad string at byte %d", i)
	}
	n, err := strconv.Atoi(string(b[i:colon]))
	if err != nil || n > len(b)-colon-1 {
		return "", 0, fmt.Errorf("malformed .torrent: bad string length at byte %d", i)
	}
	return string(b[colon+1 : colon+1+n]), colon + 1 + n, nil
}

// bencodeSkip returns the index after the value that starts at i.
func bencodeSkip(b []byte, i, depth int) (int, error) {
	if depth > 64 {
		return 0, errors.New("malformed .torrent: nested too deeply")
	}
	if i >= len(b) {
		return 0, errors.New("malformed .torrent: truncated")
	}
	switch c := b[i]; {
	case c == 'i':
		for j := i + 1; j < len(b); j++ {
			if b[j] == 'e' {
				return j + 1, nil
			}
		}
		return 0, errors.New("malformed .torrent: unterminated integer")
	case c == 'l' || c == 'd':
		j := i + 1
		for j < len(b) && b[j] != 'e' {
			var err error
			if j, err = bencodeSkip(b, j, depth+1); err != nil {
				return 0, err
			}
		}
		if j >= len(b) {
			return 0, errors.New("malformed .torrent: unterminated list or dictionary")
		}
		return j + 1, nil
	case c >= '0' && c <= '9':
		_, next, err := bencodeString(b, i)
		return next, err
	default:
		return 0, fmt.Errorf("malformed .torrent: unexpected %q at byte %d", c, i)
	}
}
