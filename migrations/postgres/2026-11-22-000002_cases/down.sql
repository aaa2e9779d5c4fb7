DROP TABLE diary_counters;
DROP TABLE case_checks;
DROP TABLE case_events;
DROP TABLE cases;
