-- Gavah store, version 9: report bodies may be kept in a compact form.
--
-- From this version on, `entries.body` of a report holds the compact form of
-- `gavah_entry::stored` (first byte 0x01) instead of JSON, about half the
-- bytes; bodies of other kinds, and every body written before, stay JSON
-- (first byte `{`), and both read back as the same entry. Nothing is
-- rewritten here. The version number is what matters: a Gavah built before
-- it refuses a store that has it, rather than failing on a body it cannot
-- read.
INSERT OR REPLACE INTO meta (key, value) VALUES ('body_forms', 'json,compact-report-1');
