-- v3 -> v4: Index for finding an open request by torrent
CREATE INDEX requests_torrent_idx ON requests (client, torrent_hash);
