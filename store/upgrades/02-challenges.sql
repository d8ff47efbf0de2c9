-- v1 -> v2: Sealed challenges and the minimum assurance of each request
ALTER TABLE requests ADD COLUMN min_assurance TEXT NOT NULL DEFAULT 'homeserver';
CREATE TABLE challenges (
	request_id TEXT   NOT NULL REFERENCES requests (id),
	key_id     TEXT   NOT NULL,
	token_hash TEXT   NOT NULL UNIQUE,
	blob       TEXT   NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (request_id, key_id)
);
