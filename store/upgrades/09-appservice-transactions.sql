-- v8 -> v9: Appservice transactions kept until handled
-- What the homeserver pushed, written before it is acknowledged and marked once every event in
-- it was handled: a transaction the homeserver was told it delivered is never lost to a crash,
-- and one delivered twice (an acknowledgement lost on the way) is handled once.
CREATE TABLE appservice_txns (
	txn_id      TEXT   PRIMARY KEY, -- the id and a hash of the body (ids are reused)
	body        TEXT   NOT NULL,
	received_at BIGINT NOT NULL,
	handled_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX appservice_txns_pending_idx ON appservice_txns (handled_at, received_at);
