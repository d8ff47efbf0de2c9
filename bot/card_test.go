package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/store"
)

// An edit after a vote keeps what the card carries: clients show m.new_content in its place,
// so the sealed challenges and the request's fields must be there, while the request is open.
func TestCardEditKeepsChallengesAndRequest(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	req := &store.Request{ID: "r1", State: store.RequestPending, Action: "remove_with_data", Client: "box", Host: "seedbox",
		Policy: "p", TorrentName: "x.iso", TorrentHash: strings.Repeat("ab", 20), MatchCode: "ZQD-KG5", Quorum: 2,
		MinAssurance: approval.AssuranceSignature, ExpiresAt: now.Add(time.Minute), CardEvent: "$card"}
	challenges := []*store.Challenge{{RequestID: "r1", KeyID: "k1", Blob: "sg1.box.k1.AAAA"}, {RequestID: "r1", KeyID: "k2", Blob: "sg1.box.k2.BBBB"}}
	votes := []*store.Vote{{RequestID: "r1", Person: "alice", Decision: "approve", Counted: true}}
	content, raw := cardEdit(req, votes, challenges, now, false, nil)
	wire, err := json.Marshal(&event.Content{Parsed: content, Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		NewContent map[string]any `json:"m.new_content"`
	}
	if err = json.Unmarshal(wire, &got); err != nil {
		t.Fatal(err)
	}
	body, _ := got.NewContent["body"].(string)
	sealed, _ := got.NewContent[sealedField].(map[string]any)
	if !strings.Contains(body, "sg1.box.k2.BBBB") || sealed["k2"] != "sg1.box.k2.BBBB" || got.NewContent[requestField] == nil {
		t.Fatalf("the edit's new content lost the challenges or the request:\n%s", wire)
	}
	if !strings.Contains(body, "Approvals: 1 of 2") {
		t.Fatalf("the edit does not show the vote:\n%s", body)
	}
	// Once decided, no challenge is shown any more.
	req.State = store.RequestDone
	content, raw = cardEdit(req, votes, nil, now, false, nil)
	wire, _ = json.Marshal(&event.Content{Parsed: content, Raw: raw})
	if strings.Contains(string(wire), "sg1.box.") || !strings.Contains(string(wire), requestField) {
		t.Fatalf("decided card edit:\n%s", wire)
	}
}

// A magnet held before its metadata arrived has no size: the card says what is not known
// instead of "0 B", which would read as a tiny, harmless torrent.
func TestCardSaysWhatAMagnetDoesNotKnow(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	req := &store.Request{ID: "r1", State: store.RequestPending, Action: "add", Client: "box", Host: "seedbox",
		Policy: "p", TorrentName: "magnet-only", TorrentHash: strings.Repeat("cd", 20), MatchCode: "ZQD-KG5", Quorum: 1,
		MinAssurance: approval.AssuranceHomeserver, ExpiresAt: now.Add(time.Minute)}
	card := renderCard(req, nil, nil, now, false)
	if strings.Contains(card.Body, "0 B") || !strings.Contains(card.Body, "Size: unknown: a magnet without its metadata (size, files and trackers unknown") {
		t.Fatalf("a magnet's card does not say its size, files and trackers are unknown:\n%s", card.Body)
	}
	req.TorrentSize = 3 << 30
	if card = renderCard(req, nil, nil, now, false); !strings.Contains(card.Body, "Size: 3.0 GiB") {
		t.Fatalf("a known size is not shown:\n%s", card.Body)
	}
}

// Under metadata: fetch_first the card says the magnet is fetching, and what that exposes.
func TestCardSaysAMagnetIsFetchingItsMetadata(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	req := &store.Request{ID: "r1", State: store.RequestPending, Action: "add", Client: "box", Host: "seedbox",
		Policy: "p", TorrentName: "magnet-only", TorrentHash: strings.Repeat("cd", 20), MatchCode: "ZQD-KG5", Quorum: 1,
		MinAssurance: approval.AssuranceHomeserver, ExpiresAt: now.Add(time.Minute)}
	if card := renderCard(req, nil, nil, now, true); !strings.Contains(card.Body, "fetching the magnet's metadata first") ||
		!strings.Contains(card.Body, "DHT peers and trackers") {
		t.Fatalf("a fetching magnet's card does not say it fetches, or what that exposes:\n%s", card.Body)
	}
}
