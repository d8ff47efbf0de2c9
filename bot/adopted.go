package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/seedgate/seedgate/approval"
	"github.com/seedgate/seedgate/torrent"
)

// adoptedListed is how many torrents the notice about a client's existing torrents names; the
// rest are counted.
const adoptedListed = 20

// AnnounceAdopted posts one notice listing the torrents a door-mode client already had when
// seedgate first met it, so none is adopted unseen, and says which of them are now held.
func (b *Bot) AnnounceAdopted(ctx context.Context, client string, torrents, held []torrent.Torrent) error {
	if err := b.sendNotice(ctx, b.RoomID(), adoptedNotice(client, torrents, held), nil); err != nil {
		return fmt.Errorf("bot: announce adopted torrents: %w", err)
	}
	return nil
}

func adoptedNotice(client string, torrents, held []torrent.Torrent) string {
	isHeld := map[string]bool{}
	for _, t := range held {
		isHeld[t.Hash] = true
	}
	var body strings.Builder
	fmt.Fprintf(&body, "ℹ️ First look at %s: it already had %d torrent(s), adopted as they are; %d running one(s) a policy holds are now stopped and on cards. Stopped ones stay stopped.",
		quoteName(client), len(torrents), len(held))
	for i, t := range torrents {
		if i == adoptedListed {
			fmt.Fprintf(&body, "\n… and %d more (seedgate audit shows the holds).", len(torrents)-adoptedListed)
			break
		}
		mark := "•"
		if isHeld[t.Hash] {
			mark = "⏸ held:"
		}
		fmt.Fprintf(&body, "\n%s “%s” (%s, %s, %s)", mark, quoteName(t.Name), approval.HumanSize(t.Size), t.State, t.Hash)
	}
	return body.String()
}
