-- Gavah store, version 7.
-- People who may use the authenticated parts of the API (the review queue and
-- link decisions, for now), with a role each. Node-local: never projected,
-- never sent to other nodes. A token is shown once, when the user is added;
-- the store keeps only its keyed hash, so a copy of the file does not let
-- anyone use the API.
CREATE TABLE users (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,   -- 32 bytes, BLAKE3 keyed (gavah-app users.rs)
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;
