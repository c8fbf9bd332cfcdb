-- Gavah store, version 3: linkage. The model the people are counted with and
-- the human decisions it must respect, both projections of their entries.
-- Linking rewrites `reports.pid`: the public id of the cluster (person) a
-- report belongs to. Until a store is linked, pid is the pre-linkage key's.

CREATE TABLE link_models (
    id              BLOB PRIMARY KEY,
    model           TEXT NOT NULL,     -- the engine's saved model (JSON)
    threshold_ppm   INTEGER NOT NULL,
    min_support_ppm INTEGER NOT NULL,
    made_ms         INTEGER NOT NULL,
    hlc             INTEGER NOT NULL,
    node            BLOB NOT NULL
);

-- Every decision ever made; the latest per pair (by hlc, node) holds.
CREATE TABLE link_decisions (
    id      BLOB PRIMARY KEY,
    a       BLOB NOT NULL,             -- report entry ids, a < b
    b       BLOB NOT NULL,
    same    INTEGER NOT NULL,
    note    TEXT,
    author  TEXT NOT NULL,
    made_ms INTEGER NOT NULL,
    hlc     INTEGER NOT NULL,
    node    BLOB NOT NULL
);
CREATE INDEX link_decisions_pair ON link_decisions (a, b);

-- `reports.name` now holds the name as written also when a list splits it into
-- given name and surname (joined), for linkage and the public person pages:
-- the store replays its entries when next opened.
INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', 'V3');

-- The blocking keys of linked reports (64-bit hashes of a name key, a phonetic
-- key, or an event date and place), so that new reports are linked against the
-- reports that share a key instead of relinking the whole store.
CREATE TABLE link_keys (
    key    INTEGER NOT NULL,
    report INTEGER NOT NULL,           -- reports.seq
    PRIMARY KEY (key, report)
) WITHOUT ROWID;
