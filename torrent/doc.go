// Package torrent talks to torrent clients and turns what happens in them into typed events.
//
// One Client interface covers every client; each adapter (qbittorrent.go, ...) speaks its
// client's wire protocol and addresses torrents by info-hash only. The Watcher polls an
// adapter's cheap incremental change feed and emits each event exactly once, persisting what it
// has seen so restarts and full resyncs replay nothing.
//
// It knows nothing of Matrix or of policies.
package torrent
