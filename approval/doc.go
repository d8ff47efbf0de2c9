// Package approval decides. It matches torrent events to policies, holds what a policy says to
// hold, opens persisted requests, counts votes of distinct people toward a quorum, enforces
// expiry, and runs the decided action on the torrent exactly once, writing every step to the
// hash-chained audit log in the same transaction as the change it records.
//
// It does not know which transport a vote came by beyond its assurance level, and it does not
// render cards: a Notifier (the bot) shows requests to people.
package approval
