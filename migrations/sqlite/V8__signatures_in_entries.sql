-- Gavah store, version 8: each entry's signature is kept on its own row.
--
-- Version 4 kept signatures in `entry_sigs`, keyed by the entry's id. Ids are
-- keyed hashes, so every received entry inserted a second row at a random
-- place of a second B-tree; a bundle import spent a fifth of its writing time
-- there. The signature now travels in the same INSERT as the entry.
--
-- Both columns are NULL for an entry this node holds unsigned (its own, until
-- first exported). The signature is over the stored copy's canonical bytes: a
-- copy written earlier elsewhere that replaces ours brings its own signature,
-- or none.
ALTER TABLE entries ADD COLUMN signer BLOB;     -- 32-byte ed25519 key
ALTER TABLE entries ADD COLUMN signature BLOB;  -- 64 bytes

UPDATE entries SET signer = s.signer, signature = s.signature
FROM entry_sigs s WHERE s.id = entries.id;

DROP TABLE entry_sigs;
