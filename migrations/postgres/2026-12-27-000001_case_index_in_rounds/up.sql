-- The table SQLite's index by case is built in (see its up.sql), for one schema on both backends.
-- PostgreSQL keeps `access_log_object`: its writers run side by side, and no round runs here.
CREATE TABLE access_log_cases (
    case_id BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    PRIMARY KEY (case_id, entry_id)
);
