-- Gavah store, version 2: public person ids and the per-person resolution that
-- the figures count, so that every number can be followed to the people behind it.

-- The public id of the person a report is about: the first 8 bytes of the
-- BLAKE3 hash of `reports.person`, as a signed integer. Filled in by the
-- rebuild this version asks for (see `rebuild_needed` below).
ALTER TABLE reports ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
CREATE INDEX reports_pid ON reports (pid);

-- Each (person, outcome) counted by figure_counts, with the one category, day
-- and place it is counted under. Every figure_counts row is a tally of these,
-- so a drill-down that filters this table lists exactly the people a figure counts.
CREATE TABLE person_outcomes (
    outcome  TEXT NOT NULL,
    pid      INTEGER NOT NULL,
    category TEXT NOT NULL,
    day      TEXT,
    province TEXT,
    city     INTEGER,
    PRIMARY KEY (outcome, pid)
) WITHOUT ROWID;

-- Projections changed shape: the store replays its entries when next opened.
INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', 'V2');
