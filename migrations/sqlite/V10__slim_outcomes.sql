-- Gavah store, version 10: outcome rows no longer repeat their report's
-- person key and category.
--
-- Both were copies of `reports.person` and `reports.category`, written for
-- every outcome of every report; queries read them from the report now. A
-- million-row import wrote 55 bytes less per outcome, in the file and in the
-- values handed to SQLite. The rows keep everything else.
ALTER TABLE outcomes DROP COLUMN person;
ALTER TABLE outcomes DROP COLUMN category;
