-- v0 -> v13: Latest revision
CREATE TABLE kv (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- What the watcher last saw of each torrent, so a restart or a full resync does not replay
-- old events as new.
CREATE TABLE torrents (
	client     TEXT    NOT NULL,
	hash       TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	size       BIGINT  NOT NULL,
	progress   DOUBLE PRECISION NOT NULL,
	updated_at BIGINT  NOT NULL,
	PRIMARY KEY (client, hash)
);

CREATE TABLE requests (
	id           TEXT    PRIMARY KEY,
	policy       TEXT    NOT NULL,
	event_kind   TEXT    NOT NULL,
	action       TEXT    NOT NULL,
	client       TEXT    NOT NULL,
	torrent_hash TEXT    NOT NULL,
	torrent_name TEXT    NOT NULL,
	torrent_size BIGINT  NOT NULL,
	host         TEXT    NOT NULL,
	match_code   TEXT    NOT NULL,
	quorum       INTEGER NOT NULL,
	min_assurance TEXT   NOT NULL,
	approvers    TEXT    NOT NULL DEFAULT '',
	deny_threshold INTEGER NOT NULL DEFAULT 1,
	requester    TEXT    NOT NULL DEFAULT '',
	reason       TEXT    NOT NULL DEFAULT '',
	digest_index INTEGER NOT NULL DEFAULT 0,
	min_trust    TEXT    NOT NULL DEFAULT 'cross-signed-tofu',
	on_approve   TEXT    NOT NULL,
	on_deny      TEXT    NOT NULL,
	on_expiry    TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	decision     TEXT    NOT NULL DEFAULT '',
	decided_by   TEXT    NOT NULL DEFAULT '',
	outcome      TEXT    NOT NULL DEFAULT '',
	error        TEXT    NOT NULL DEFAULT '',
	card_room    TEXT    NOT NULL DEFAULT '',
	card_event   TEXT    NOT NULL DEFAULT '',
	created_at   BIGINT  NOT NULL,
	expires_at   BIGINT  NOT NULL,
	decided_at   BIGINT  NOT NULL DEFAULT 0,
	finished_at  BIGINT  NOT NULL DEFAULT 0,
	digest_event TEXT    NOT NULL DEFAULT ''
);
-- digest_event is the first card of the burst a request's digest card belongs to (the rest of
-- the burst is in that card's thread); a vote on it decides every item of the burst.
CREATE INDEX requests_state_idx ON requests (state);
CREATE INDEX requests_card_idx ON requests (card_event);
CREATE INDEX requests_digest_idx ON requests (digest_event);
CREATE INDEX requests_torrent_idx ON requests (client, torrent_hash);

CREATE TABLE votes (
	seq        BIGINT  PRIMARY KEY,
	request_id TEXT    NOT NULL REFERENCES requests (id),
	person     TEXT    NOT NULL,
	decision   TEXT    NOT NULL,
	assurance  TEXT    NOT NULL,
	source     TEXT    NOT NULL,
	counted    BOOLEAN NOT NULL,
	reason     TEXT    NOT NULL,
	created_at BIGINT  NOT NULL
);
CREATE INDEX votes_request_idx ON votes (request_id);

-- Append-only, each entry chained to the previous by hash.
CREATE TABLE audit (
	seq        BIGINT PRIMARY KEY,
	at         BIGINT NOT NULL,
	kind       TEXT   NOT NULL,
	request_id TEXT   NOT NULL,
	data       TEXT   NOT NULL,
	prev_hash  TEXT   NOT NULL,
	hash       TEXT   NOT NULL
);

-- One sealed challenge per request and enrolled device. Only the token's hash is kept; used_at
-- is set once, atomically, when a signed vote spends it.
CREATE TABLE challenges (
	request_id TEXT   NOT NULL REFERENCES requests (id),
	key_id     TEXT   NOT NULL,
	token_hash TEXT   NOT NULL UNIQUE,
	blob       TEXT   NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (request_id, key_id)
);

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

-- What couriers have already delivered to us (webhook retries, replays): one row per route and
-- id, kept past the courier's retry window. A second arrival of the same id is refused.
CREATE TABLE inbound_seen (
	route   TEXT   NOT NULL,
	id      TEXT   NOT NULL,
	seen_at BIGINT NOT NULL,
	PRIMARY KEY (route, id)
);
CREATE INDEX inbound_seen_age_idx ON inbound_seen (seen_at);

CREATE TABLE device_keys (
	key_id      TEXT   PRIMARY KEY,
	person      TEXT   NOT NULL,
	enrollment  TEXT   NOT NULL,
	enrolled_by TEXT   NOT NULL,
	enrolled_at BIGINT NOT NULL,
	revoked_by  TEXT,
	revoked_at  BIGINT
);

CREATE TABLE master_keys (
	user_id    TEXT   PRIMARY KEY,
	pinned     TEXT   NOT NULL,
	pinned_by  TEXT   NOT NULL,
	pinned_at  BIGINT NOT NULL,
	changed    TEXT   NOT NULL DEFAULT '',
	changed_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE hook_nonces (
	nonce   TEXT   PRIMARY KEY,
	seen_at BIGINT NOT NULL
);
CREATE INDEX hook_nonces_age_idx ON hook_nonces (seen_at);

CREATE TABLE appservice_txns (
	txn_id      TEXT   PRIMARY KEY,
	body        TEXT   NOT NULL,
	received_at BIGINT NOT NULL,
	handled_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX appservice_txns_pending_idx ON appservice_txns (handled_at, received_at);

-- The lease that keeps one seedgate active per database (see 10-lease.sql).
CREATE TABLE lease (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	token    BIGINT  NOT NULL,
	host     TEXT    NOT NULL,
	pid      INTEGER NOT NULL,
	pid_ns   TEXT    NOT NULL,
	since    BIGINT  NOT NULL,
	expires  BIGINT  NOT NULL
);

-- Announcements kept until posted (see 11-announcements.sql).
CREATE TABLE announcements (
	id         TEXT   PRIMARY KEY,
	policy     TEXT   NOT NULL,
	payload    TEXT   NOT NULL,
	created_at BIGINT NOT NULL,
	posted_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX announcements_unposted_idx ON announcements (posted_at, id);

-- Passkeys, their enrolment links and the nonces votes sign (see 13-passkeys.sql).
CREATE TABLE passkeys (
	credential_id TEXT   PRIMARY KEY, -- base64url, as the browser reports it
	person        TEXT   NOT NULL,
	credential    TEXT   NOT NULL,
	sign_count    BIGINT NOT NULL,
	aaguid        TEXT   NOT NULL,
	attestation   TEXT   NOT NULL, -- the attestation format ("none", "packed", ...)
	state         TEXT   NOT NULL, -- pending, active or revoked
	confirm_code  TEXT   NOT NULL,
	enrolled_at   BIGINT NOT NULL,
	confirmed_by  TEXT   NOT NULL DEFAULT '',
	revoked_by    TEXT   NOT NULL DEFAULT '',
	changed_at    BIGINT NOT NULL
);
CREATE INDEX passkeys_person_idx ON passkeys (person, state);

CREATE TABLE passkey_enrolments (
	token_hash TEXT   PRIMARY KEY,
	person     TEXT   NOT NULL,
	issued_by  TEXT   NOT NULL,
	expires_at BIGINT NOT NULL,
	session    TEXT   NOT NULL DEFAULT '',
	used_at    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE passkey_nonces (
	nonce_hash TEXT   PRIMARY KEY,
	request_id TEXT   NOT NULL,
	person     TEXT   NOT NULL,
	outcome    TEXT   NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0
);
