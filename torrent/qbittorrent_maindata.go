package torrent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// mainData is one sync/maindata answer, decoded but not yet applied.
type mainData struct {
	rid     int64
	full    bool
	updated []qbUpdate
	removed []string
	bytes   int
}

// qbUpdate is a torrent's record after an answer: a new record, or a copy of the one held
// with the answer's fields decoded over it.
type qbUpdate struct {
	hash   string
	record qbRecord
}

// decodeMainData reads a sync/maindata answer token by token. Partial records decode over a
// copy of the torrent's record in known (qBittorrent sends only changed fields), unless the
// answer is a full update, which replaces every record.
func decodeMainData(body io.Reader, known map[string]qbRecord) (*mainData, error) {
	counted := &countingReader{r: body}
	dec := json.NewDecoder(counted)
	md := &mainData{}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("sync/maindata: malformed answer: %w", err)
	}
	// Fields come in any order, full_update possibly after torrents: records are decoded over
	// what is held, and a full update throws that away afterwards (its records name every
	// field qBittorrent has, so what a copy kept from before is overwritten anyway).
	var torrents []qbUpdate
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("sync/maindata: malformed answer: %w", err)
		}
		switch key {
		case "rid":
			err = dec.Decode(&md.rid)
		case "full_update":
			err = dec.Decode(&md.full)
		case "torrents":
			if md.full {
				known = nil // a full update's records start afresh
			}
			torrents, err = decodeTorrents(dec, known)
		case "torrents_removed":
			err = dec.Decode(&md.removed)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return nil, fmt.Errorf("sync/maindata: malformed %v: %w", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("sync/maindata: malformed answer: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("sync/maindata: malformed answer: data after the object")
	}
	for i, hash := range md.removed {
		md.removed[i] = strings.ToLower(hash)
	}
	md.updated, md.bytes = torrents, counted.n
	return md, nil
}

// decodeTorrents decodes the "torrents" object, hash by hash.
func decodeTorrents(dec *json.Decoder, known map[string]qbRecord) ([]qbUpdate, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var out []qbUpdate
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		hash := strings.ToLower(tok.(string)) // an object's keys are strings
		var record qbTorrent
		if held, ok := known[hash]; ok {
			record = held.expand()
		}
		if err = dec.Decode(&record); err != nil {
			return nil, fmt.Errorf("torrent %s: %w", hash, err)
		}
		out = append(out, qbUpdate{hash: hash, record: record.compact()})
	}
	return out, expectDelim(dec, '}')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("found %v where %v belongs", tok, want)
	}
	return nil
}

// skipValue reads past one value of any kind, keeping nothing of it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// countingReader counts the bytes read through it, for the poll-cost metric.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
