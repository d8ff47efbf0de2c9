-- v6 -> v7: Device keys enrolled and revoked from Matrix
-- Device keys that approvers enrolled (or revoked) by a command from their own cross-signed
-- Matrix device. A key listed in the config and revoked here stays revoked: the row keeps its
-- enrollment line so the revocation survives a config that still lists it.
CREATE TABLE device_keys (
	key_id      TEXT   PRIMARY KEY,
	person      TEXT   NOT NULL,
	enrollment  TEXT   NOT NULL,
	enrolled_by TEXT   NOT NULL,
	enrolled_at BIGINT NOT NULL,
	revoked_by  TEXT,
	revoked_at  BIGINT
);
