DROP TABLE access_log_subjects;
