-- v12 -> v13: Passkeys
-- A passkey is a person's WebAuthn credential. It is pending from the enrolment page until
-- the person confirms its code from a trusted device in their direct-message room, active
-- until revoked. credential is go-webauthn's record of it as JSON; sign_count is the counter
-- a vote advances (compare-and-set, so a clone that reuses a count loses).
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

-- One-time enrolment links: the token's hash, who it is for, and the registration ceremony's
-- state between its two calls.
CREATE TABLE passkey_enrolments (
	token_hash TEXT   PRIMARY KEY,
	person     TEXT   NOT NULL,
	issued_by  TEXT   NOT NULL,
	expires_at BIGINT NOT NULL,
	session    TEXT   NOT NULL DEFAULT '',
	used_at    BIGINT NOT NULL DEFAULT 0
);

-- The nonce each approval assertion signs: for one request, one outcome and (when the link
-- names one) one person; spent in the vote's transaction.
CREATE TABLE passkey_nonces (
	nonce_hash TEXT   PRIMARY KEY,
	request_id TEXT   NOT NULL,
	person     TEXT   NOT NULL,
	outcome    TEXT   NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0
);
