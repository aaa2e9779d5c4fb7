-- A list view names about fifty citizens, and PostgreSQL checked the foreign key of each subject
-- row on its own: one internal `SELECT … FOR KEY SHARE` per row, about 9 µs each, some 430 µs of
-- the server's CPU per list view (bench/http, and 2 000 entries × 50 subjects timed with and
-- without the key: 1.19 s against 0.35 s). The subject rows are inserted only by the statement that
-- inserts their entry (db::prepared::AppendEntryPg, one data-modifying WITH), entries are never
-- deleted (the guard trigger), a list entry's citizens are held to the digest in its hashed detail,
-- and `kontosparr audit verify` names a subject row whose entry does not exist. SQLite keeps the
-- key: there the check is an in-process lookup that costs nothing measurable.
ALTER TABLE access_log_subjects DROP CONSTRAINT access_log_subjects_entry_id_fkey;
