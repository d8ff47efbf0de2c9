-- v5 -> v6: Couriers' inbound ids, for deduplication
-- What couriers have already delivered to us (webhook retries, replays): one row per route and
-- id, kept past the courier's retry window. A second arrival of the same id is refused.
CREATE TABLE inbound_seen (
	route   TEXT   NOT NULL,
	id      TEXT   NOT NULL,
	seen_at BIGINT NOT NULL,
	PRIMARY KEY (route, id)
);
CREATE INDEX inbound_seen_age_idx ON inbound_seen (seen_at);
