package bot

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/seedgate/seedgate/store"
)

// matrixEventLimit is the spec's bound on a whole event, and envelopeBytes a generous allowance
// for what the homeserver and megolm add around the ciphertext (ids, hashes, signatures).
const (
	matrixEventLimit = 65_536
	envelopeBytes    = 2_000
)

// TestLargestDigestAndItsEditFitOneEvent fills a digest card up to maxDigestBytes, with ordinary
// names and with names made of the characters that escaping inflates most, then decides every
// item and checks that the encrypted edit would still fit in one Matrix event.
func TestLargestDigestAndItsEditFitOneEvent(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	mention := []id.UserID{"@alice:example.org", "@bob:example.org", "@carol:example.org"}
	for _, name := range []string{"Ubuntu 24.04.1 desktop amd64.iso", strings.Repeat("&", 255), strings.Repeat("<é>", 85)} {
		var reqs []*store.Request
		for i := 0; ; i++ {
			hash := hex.EncodeToString([]byte(fmt.Sprintf("%020d", i)))
			reqs = append(reqs, &store.Request{ID: fmt.Sprintf("01JD%022d", i), Action: "add", Client: "seedbox", Host: "seedbox.example.org",
				TorrentName: name, TorrentHash: hash, TorrentSize: 4 << 30, Policy: "new-torrents", State: store.RequestPending,
				ExpiresAt: now.Add(time.Hour), DigestIndex: i + 1})
			if contentSize(renderDigest(digestCard{items: reqs, links: longLinks}, mention, now), map[string]any{digestField: digestInfo(reqs)}) > maxDigestBytes {
				reqs = reqs[:len(reqs)-1]
				break
			}
		}
		if len(reqs) < 2 {
			t.Fatalf("name %.20q…: not even two items fit in a digest", name)
		}
		for _, r := range reqs {
			r.State, r.Verdict, r.DecidedBy = store.RequestDone, store.RequestApproved, strings.Repeat("a", 64)
		}
		edit, raw := digestEdit(digestCard{items: reqs, burst: append(slices.Clone(reqs), reqs[0])}, "$card", now)
		encrypted := contentSize(edit, raw)*4/3 + envelopeBytes
		t.Logf("name %.12q…: %d items per digest; their decided edit encrypts to about %d bytes", name, len(reqs), encrypted)
		if encrypted > matrixEventLimit {
			t.Errorf("name %.12q…: the edit of a full digest (%d items) would be about %d bytes encrypted, over the %d limit",
				name, len(reqs), encrypted, matrixEventLimit)
		}
	}
}

// longLinks is a passkey link as long as a real one on a long host name.
func longLinks(requestID string) string {
	return "https://seedgate.approvals.example.org/a/" + strings.Repeat("A", 36) + "." + strings.Repeat("B", 12) + "." + strings.Repeat("C", 24) + requestID
}
