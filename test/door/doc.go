// Package door tests where seedgate stands against real torrent clients, a real tracker
// (Debian's opentracker) and a real seeder (python3-libtorrent): in door mode no new torrent
// announces or downloads a byte before it is approved, even while seedgate is down; in
// after_start mode the exposure is measured and logged.
package door
