DROP TABLE access_log_citizens_head;
DROP TABLE access_log_citizens;
