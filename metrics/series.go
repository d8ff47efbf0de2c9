package metrics

// The series seedgate exports. Gauges that read the database are set by whoever owns it.
var (
	Votes = NewCounter("seedgate_votes_total",
		"Votes received, by assurance level and whether they counted.", "assurance", "counted")
	DecisionSeconds = NewHistogram("seedgate_decision_seconds",
		"Time from a request's opening to its decision (approved, denied or expired).",
		1, 5, 15, 30, 60, 120, 300, 600)
	DeliveryAttempts = NewCounter("seedgate_delivery_attempts_total",
		"Cards and edits handed to a delivery route.", "route")
	DeliveryFailures = NewCounter("seedgate_delivery_failures_total",
		"Cards and edits a delivery route failed to take.", "route")
	WatcherPolls = NewCounter("seedgate_watcher_polls_total",
		"Polls of a torrent client's change feed.", "client")
	WatcherPollBytes = NewCounter("seedgate_watcher_poll_bytes_total",
		"Bytes read from a torrent client's change feed.", "client")
	WatcherPollErrors = NewCounter("seedgate_watcher_poll_errors_total",
		"Failed polls of a torrent client.", "client")
	WatcherEvents = NewCounter("seedgate_watcher_events_total",
		"Torrent events seen, by client and kind.", "client", "kind")
	HookRejected = NewCounter("seedgate_hook_rejected_total",
		"Hook calls refused, by reason.", "reason")
	OutboxDeadLetters = NewCounter("seedgate_outbox_dead_letters_total",
		"Courier messages given up on, by route and reason.", "route", "reason")
	DeliveryFallbacks = NewCounter("seedgate_delivery_fallbacks_total",
		"Cards passed on to a person's next route, by the route given up and why.", "route", "reason")
	DeliveryReceipts = NewCounter("seedgate_delivery_receipts_total",
		"Delivery reports from couriers, by route and status.", "route", "status")
	CourierInbound = NewCounter("seedgate_courier_inbound_total",
		"Messages and callbacks from couriers, by route and what became of them.", "route", "outcome")
	OutboxResent = NewCounter("seedgate_outbox_resent_after_crash_total",
		"Courier messages sent again because a crash left their first send unconfirmed.", "route")
)

// DoorClosed is 1 for a client in door mode that adds new torrents stopped, 0 while it does
// not (seedgate could not read or change the setting): then holds start after the torrent has.
var DoorClosed = NewGaugeSet("seedgate_torrent_client_door_closed",
	"1 when a door-mode torrent client adds new torrents stopped, 0 when it does not.", "client")

// TorrentClientUp is 1 while seedgate's watcher is connected to a client, 0 while it is not.
var TorrentClientUp = NewGaugeSet("seedgate_torrent_client_up",
	"1 while the watcher is connected to the torrent client, 0 while it cannot reach it.", "client")
