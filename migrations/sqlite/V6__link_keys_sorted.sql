-- Gavah store, version 6.
-- Blocking keys with each report's name sort key (gavah-link's sorted
-- neighbourhood order), so that an incremental link takes inside a large
-- block the same window of neighbours that a whole link takes, instead of the
-- newest reports sharing the key (which, in a million-report store, made a
-- thousand new reports read most of the store).
--
-- The keys kept so far carry no sort key: they are dropped, and the next link
-- is a whole one (meta.linked_through goes), which writes them again.
DROP TABLE link_keys;
CREATE TABLE link_keys (
    key    INTEGER NOT NULL,
    sort   TEXT NOT NULL,
    report INTEGER NOT NULL,           -- reports.seq
    PRIMARY KEY (key, sort, report)
) WITHOUT ROWID;
DELETE FROM meta WHERE key IN ('linked_through', 'linked_decisions');
