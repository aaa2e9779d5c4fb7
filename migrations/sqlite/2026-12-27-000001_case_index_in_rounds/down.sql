DROP TRIGGER access_log_cases_no_delete;
DROP TRIGGER access_log_cases_no_update;
DROP TABLE access_log_cases;
CREATE INDEX access_log_object ON access_log (object, id);
