-- v10 -> v11: Announcements kept until posted
-- A notice an announce-only policy asks for is written here before it is posted and marked
-- once the homeserver took it: a homeserver outage or a crash delays it, never drops it, and
-- they go out in the order they came (id sorts by time).
CREATE TABLE announcements (
	id         TEXT   PRIMARY KEY,
	policy     TEXT   NOT NULL,
	payload    TEXT   NOT NULL, -- the torrent event, as JSON
	created_at BIGINT NOT NULL,
	posted_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX announcements_unposted_idx ON announcements (posted_at, id);
