-- Gavah store, version 1: the entry log and the projections rebuilt from it.
-- The same version numbers are used under migrations/postgres/ (a later issue).

-- Node identity and settings: node_id, team_key, created_at, last_hlc, purpose.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The log. Rows are never updated except to replace an entry by the same entry
-- (same id) written earlier by the clock, so every node keeps the same one.
CREATE TABLE entries (
    seq    INTEGER PRIMARY KEY,        -- local arrival order; carries no meaning
    id     BLOB NOT NULL UNIQUE,       -- 16 bytes, keyed hash (gavah-entry)
    node   BLOB NOT NULL,              -- 16 bytes
    author TEXT NOT NULL,
    hlc    INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    body   BLOB NOT NULL               -- JSON of gavah_entry::Body, format v1
);

-- Projections: everything below can be dropped and rebuilt from `entries`.

CREATE TABLE sources (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    source_type TEXT NOT NULL,
    protected   INTEGER NOT NULL,
    hlc         INTEGER NOT NULL,
    node        BLOB NOT NULL
);

CREATE TABLE batches (
    id        BLOB PRIMARY KEY,
    source    BLOB NOT NULL,
    kind      TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format    TEXT NOT NULL,
    encoding  TEXT NOT NULL,
    rows      INTEGER NOT NULL,
    author    TEXT NOT NULL,
    hlc       INTEGER NOT NULL
);

-- One row per report (one row of an imported list). Public fields only: the
-- protected ones live in report_protected, the raw row only in the entry.
-- Keyed by the entry's local `seq`, so that a bulk import appends to every
-- report table instead of inserting at random places (entry ids are keyed
-- hashes); `seq` is local and never leaves this file or enters a digest.
CREATE TABLE reports (
    seq         INTEGER PRIMARY KEY,   -- = entries.seq
    id          BLOB NOT NULL,         -- = entries.id
    source      BLOB NOT NULL,
    batch       BLOB NOT NULL,
    row         INTEGER NOT NULL,
    name        TEXT,
    name_key    TEXT,
    sex         TEXT,
    age         INTEGER,
    birth_year  INTEGER,
    occupation  TEXT,
    category    TEXT NOT NULL,
    -- The person this report is about: until linkage, the key of the same
    -- normalised name, place and date (or the report itself when unnamed).
    person      TEXT NOT NULL
);

CREATE TABLE report_protected (
    report  INTEGER PRIMARY KEY,       -- = reports.seq
    witness TEXT,
    contact TEXT,
    notes   TEXT
);

-- One row per outcome a report states, denormalised for the figure queries.
CREATE TABLE outcomes (
    report     INTEGER NOT NULL,       -- = reports.seq
    outcome    TEXT NOT NULL,
    person     TEXT NOT NULL,
    category   TEXT NOT NULL,
    day        TEXT,                   -- YYYY-MM-DD when known to the day
    date       TEXT,
    precision  TEXT NOT NULL,
    province   TEXT,
    city       INTEGER,
    place_text TEXT,
    PRIMARY KEY (report, outcome)
) WITHOUT ROWID;

-- Incidents implied by reports: one per known day and place.
CREATE TABLE incidents (
    day      TEXT NOT NULL,
    province TEXT NOT NULL,
    city     INTEGER NOT NULL,
    reports  INTEGER NOT NULL,
    PRIMARY KEY (day, province, city)
) WITHOUT ROWID;

CREATE TABLE figures (
    id        BLOB PRIMARY KEY,
    source    BLOB NOT NULL,
    metric    TEXT NOT NULL,
    value     INTEGER NOT NULL,
    qualifier TEXT NOT NULL,
    as_of     TEXT NOT NULL,
    province  TEXT,
    category  TEXT,
    citation  TEXT,
    hlc       INTEGER NOT NULL
);

CREATE TABLE claims (
    id       BLOB PRIMARY KEY,
    by_whom  TEXT NOT NULL,
    date     TEXT NOT NULL,
    text     TEXT NOT NULL,
    citation TEXT,
    hlc      INTEGER NOT NULL
);

CREATE TABLE claim_statuses (
    id      BLOB PRIMARY KEY,
    claim   BLOB NOT NULL,
    status  TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    date    TEXT NOT NULL,
    note    TEXT,
    hlc     INTEGER NOT NULL,
    node    BLOB NOT NULL
);
CREATE INDEX claim_statuses_claim ON claim_statuses (claim);

-- Documented counts, refreshed in the same transaction as every change that
-- can move them, so that reading figures costs a lookup, not a scan.
-- dim: total | category | province | city | day | cities | provinces
CREATE TABLE figure_counts (
    dim     TEXT NOT NULL,
    key     TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (dim, key, outcome)
) WITHOUT ROWID;
