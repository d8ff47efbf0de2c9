-- v9 -> v10: The lease that keeps one seedgate active per database
-- One row at most: the seedgate that may act (touch Matrix, the torrent clients, the audit
-- chain). token grows by one at every takeover and fences writes: a seedgate whose token is not
-- the row's (it lost the lease while frozen) writes nothing. Times are the database's clock.
CREATE TABLE lease (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	token    BIGINT  NOT NULL,
	host     TEXT    NOT NULL,
	pid      INTEGER NOT NULL,
	pid_ns   TEXT    NOT NULL, -- the holder's PID namespace, so a dead holder on this host is known dead
	since    BIGINT  NOT NULL,
	expires  BIGINT  NOT NULL
);
