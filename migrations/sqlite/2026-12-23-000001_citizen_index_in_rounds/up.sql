-- "Who read about this citizen" on SQLite: the subjects' citizen index is built in rounds by the
-- server's indexer (jobs::spawn_citizen_indexer), not by every append. Each list view names about
-- fifty citizens, and their entries in the (personnummer, entry_id) index went into fifty scattered
-- leaves of a ten-million-row b-tree: fifty 4 KiB pages written to the WAL, and copied back, in
-- every list view's commit while SQLite's one writer waited (bench/http, perf: the largest part of
-- a list view's write). Appends now add only sequential rows (access_log_subjects by entry id); a
-- round sorts what came since the last one into access_log_citizens, where each citizen's leaf is
-- written once per round however often the citizen was listed. A citizen search reads
-- access_log_citizens up to access_log_citizens_head.through_entry_id and the subject rows after it
-- (the short tail since the last round, by entry id), so nothing is missed between rounds.
CREATE TABLE access_log_citizens (
    personnummer TEXT NOT NULL,
    entry_id INTEGER NOT NULL,
    PRIMARY KEY (personnummer, entry_id)
) WITHOUT ROWID;
CREATE TABLE access_log_citizens_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through_entry_id INTEGER NOT NULL
);
INSERT INTO access_log_citizens (personnummer, entry_id)
SELECT personnummer, entry_id FROM access_log_subjects ORDER BY personnummer, entry_id;
INSERT INTO access_log_citizens_head (id, through_entry_id)
VALUES (1, COALESCE((SELECT max(entry_id) FROM access_log_subjects), 0));
DROP INDEX access_log_subjects_pnr;
-- An index of the append-only subjects: rows are added, never changed or removed.
CREATE TRIGGER access_log_citizens_no_update BEFORE UPDATE ON access_log_citizens
BEGIN SELECT RAISE(ABORT, 'access_log_citizens is append-only'); END;
CREATE TRIGGER access_log_citizens_no_delete BEFORE DELETE ON access_log_citizens
BEGIN SELECT RAISE(ABORT, 'access_log_citizens is append-only'); END;
CREATE TRIGGER access_log_citizens_head_no_delete BEFORE DELETE ON access_log_citizens_head
BEGIN SELECT RAISE(ABORT, 'access_log_citizens_head is kept'); END;
CREATE TRIGGER access_log_citizens_head_forward BEFORE UPDATE ON access_log_citizens_head
WHEN NEW.through_entry_id < OLD.through_entry_id
BEGIN SELECT RAISE(ABORT, 'access_log_citizens_head only moves forward'); END;
