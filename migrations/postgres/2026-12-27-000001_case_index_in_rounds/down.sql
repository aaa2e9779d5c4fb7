DROP TABLE access_log_cases;
