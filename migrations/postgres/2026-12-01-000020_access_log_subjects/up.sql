-- The citizens an access-log entry names (docs/architecture.md, "The access log"): one row per
-- citizen shown by the request the entry records. A list view names many; a single-citizen entry
-- keeps its personnummer column and has that citizen here too, so that "who read about this
-- citizen" is answered from this table alone. Append-only, like access_log; the entry's hashed
-- detail carries a digest of a list entry's subjects, so the chain covers them.
CREATE TABLE access_log_subjects (
    entry_id BIGINT NOT NULL REFERENCES access_log (id),
    personnummer TEXT NOT NULL,
    PRIMARY KEY (entry_id, personnummer)
);
CREATE INDEX access_log_subjects_pnr ON access_log_subjects (personnummer, entry_id);
CREATE OR REPLACE FUNCTION access_log_subjects_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_log_subjects is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_subjects_no_change BEFORE UPDATE OR DELETE ON access_log_subjects
FOR EACH ROW EXECUTE FUNCTION access_log_subjects_append_only();
CREATE TRIGGER access_log_subjects_no_truncate BEFORE TRUNCATE ON access_log_subjects
FOR EACH STATEMENT EXECUTE FUNCTION access_log_subjects_append_only();
