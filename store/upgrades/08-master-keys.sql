-- v7 -> v8: Pinned cross-signing master keys and hook nonces
-- The cross-signing master key the bot first saw for each Matrix user it judges devices of. A
-- device's trust comes from its owner's cross-signing under this key and nothing else, so a
-- homeserver admin who resets someone's cross-signing (uploads a new master key) gains nothing:
-- the new key is noted in `changed` and counts only once the operator re-pins it.
CREATE TABLE master_keys (
	user_id    TEXT   PRIMARY KEY,
	pinned     TEXT   NOT NULL,
	pinned_by  TEXT   NOT NULL,
	pinned_at  BIGINT NOT NULL,
	changed    TEXT   NOT NULL DEFAULT '',
	changed_at BIGINT NOT NULL DEFAULT 0
);

-- Hook nonces seen inside their window, so a captured hook call cannot be replayed after a
-- restart. Rows older than the window are pruned.
CREATE TABLE hook_nonces (
	nonce   TEXT   PRIMARY KEY,
	seen_at BIGINT NOT NULL
);
CREATE INDEX hook_nonces_age_idx ON hook_nonces (seen_at);
