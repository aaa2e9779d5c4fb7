-- SQLite: the access log's index by case (`access_log_object`, on `object`) is built in rounds,
-- as the citizen index is (2026-12-23-000001): an entry's `object` names one case of 200 000, so
-- each entry's insert into that index went to a leaf of its own, read and written again, inside
-- the one writer's hold. Without it the case page ran 3 180 -> 3 749 req/s, p99 72 -> 42 ms
-- (bench/http, SQLite, ten years of data). A case's entries are now those `access_log_cases`
-- names up to the round's head (`access_log_citizens_head`, shared by both indexes: one round
-- takes both) and the log rows after it, which a search reads by id.
CREATE TABLE access_log_cases (
    case_id INTEGER NOT NULL,
    entry_id INTEGER NOT NULL,
    PRIMARY KEY (case_id, entry_id)
) WITHOUT ROWID;
INSERT INTO access_log_cases (case_id, entry_id)
SELECT CAST(substr(object, 6) AS INTEGER), id FROM access_log
WHERE id <= (SELECT through_entry_id FROM access_log_citizens_head WHERE id = 1)
    AND object GLOB 'case:[0-9]*' AND NOT substr(object, 6) GLOB '*[^0-9]*'
ORDER BY 1, 2;
DROP INDEX access_log_object;
CREATE TRIGGER access_log_cases_no_update BEFORE UPDATE ON access_log_cases
BEGIN SELECT RAISE(ABORT, 'access_log_cases is append-only'); END;
CREATE TRIGGER access_log_cases_no_delete BEFORE DELETE ON access_log_cases
BEGIN SELECT RAISE(ABORT, 'access_log_cases is append-only'); END;
