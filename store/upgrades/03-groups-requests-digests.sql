-- v2 -> v3: Approver groups, deny thresholds, API requesters and digest cards
ALTER TABLE requests ADD COLUMN approvers TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN deny_threshold INTEGER NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN requester TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN digest_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN min_trust TEXT NOT NULL DEFAULT 'cross-signed-tofu';
