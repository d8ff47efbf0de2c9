package bot

import (
	"encoding/json"

	"maunium.net/go/mautrix/event"
)

// maxDigestBytes bounds a digest card's content as JSON. A Matrix event may not exceed 65,536
// bytes, encryption turns the content into base64 (a third larger) inside an envelope, and a
// later edit carries the content again with items grown by their outcome ("approved by …").
// 30,000 bytes leaves room for all of that, even with 64-character approver names
// (TestLargestDigestAndItsEditFitOneEvent).
const maxDigestBytes = 30_000

// contentSize is how many bytes a message's content takes as JSON.
func contentSize(content *event.MessageEventContent, raw map[string]any) int {
	encoded, err := json.Marshal(&event.Content{Parsed: content, Raw: raw})
	if err != nil {
		return 0
	}
	return len(encoded)
}
