CREATE INDEX IF NOT EXISTS access_log_subjects_pnr ON access_log_subjects (personnummer, entry_id);
DROP INDEX IF EXISTS access_log_subjects_era;
CREATE INDEX IF NOT EXISTS access_log_object ON access_log (object, id);
DROP INDEX IF EXISTS access_log_object_era;
