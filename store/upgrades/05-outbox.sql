-- v4 -> v5: The bridges' durable outbox
-- The bridges' durable outbox: every message to a courier (Signal, RCS) is written here before
-- it is sent. idempotency_key makes enqueueing twice a no-op; transport_id is what the courier
-- calls the message (Signal's timestamp, Twilio's sid, RBM's messageId), which replies quote.
CREATE TABLE outbox (
	id              TEXT    PRIMARY KEY,
	route           TEXT    NOT NULL,
	recipient       TEXT    NOT NULL,
	request_id      TEXT    NOT NULL,
	body            TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL UNIQUE,
	state           TEXT    NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt    BIGINT  NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	transport_id    TEXT    NOT NULL DEFAULT '',
	created_at      BIGINT  NOT NULL,
	updated_at      BIGINT  NOT NULL
);
CREATE INDEX outbox_due_idx ON outbox (state, next_attempt);
CREATE INDEX outbox_transport_idx ON outbox (route, transport_id);
