ALTER TABLE case_events DROP COLUMN detail_msg;
