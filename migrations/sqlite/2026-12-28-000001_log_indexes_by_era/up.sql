-- PostgreSQL's citizen and case indexes of the access log lead with the entry's era here (see its
-- up.sql). SQLite has neither index: its rounds build access_log_citizens and access_log_cases,
-- each leaf written once a round. Nothing to change.
SELECT 1;
