DROP TABLE access_log_subjects;
DROP FUNCTION access_log_subjects_append_only();
