-- The citizens an access-log entry names (docs/architecture.md, "The access log"): one row per
-- citizen shown by the request the entry records. A list view names many; a single-citizen entry
-- keeps its personnummer column and has that citizen here too, so that "who read about this
-- citizen" is answered from this table alone. Append-only, like access_log; the entry's hashed
-- detail carries a digest of a list entry's subjects, so the chain covers them.
CREATE TABLE access_log_subjects (
    entry_id INTEGER NOT NULL REFERENCES access_log (id),
    personnummer TEXT NOT NULL,
    PRIMARY KEY (entry_id, personnummer)
);
CREATE INDEX access_log_subjects_pnr ON access_log_subjects (personnummer, entry_id);
CREATE TRIGGER access_log_subjects_no_update BEFORE UPDATE ON access_log_subjects
BEGIN SELECT RAISE(ABORT, 'access_log_subjects is append-only'); END;
CREATE TRIGGER access_log_subjects_no_delete BEFORE DELETE ON access_log_subjects
BEGIN SELECT RAISE(ABORT, 'access_log_subjects is append-only'); END;
