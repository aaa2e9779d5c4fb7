CREATE INDEX access_log_subjects_pnr ON access_log_subjects (personnummer, entry_id);
DROP TRIGGER access_log_citizens_head_forward;
DROP TRIGGER access_log_citizens_head_no_delete;
DROP TRIGGER access_log_citizens_no_delete;
DROP TRIGGER access_log_citizens_no_update;
DROP TABLE access_log_citizens_head;
DROP TABLE access_log_citizens;
