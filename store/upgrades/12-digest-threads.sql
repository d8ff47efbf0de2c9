-- v11 -> v12: Digests whose items continue in a thread
-- A burst's digest is one card in the room's timeline, and its further items are cards in
-- that card's thread. digest_event names the first card (the thread's root) on every item of
-- the burst, so a vote there decides them all; card_event stays the card that shows the item.
ALTER TABLE requests ADD COLUMN digest_event TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_digest_idx ON requests (digest_event);
