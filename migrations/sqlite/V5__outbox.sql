-- Gavah store, version 5.
-- A collector that forgets what it has sent (`gavah node forget-sent on`)
-- keeps each bundle it sealed, ciphertext only, to write it out again if a
-- courier loses it.
CREATE TABLE outbox (
    id       BLOB PRIMARY KEY,         -- 16-byte bundle id
    bytes    BLOB NOT NULL,            -- the sealed bundle
    made_ms  INTEGER NOT NULL,
    entries  INTEGER NOT NULL
) WITHOUT ROWID;
