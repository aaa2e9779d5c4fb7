-- The unfiltered case list of a handler (every unit) is ordered by last change, newest first, with
-- the id as tie-breaker: without this index every page view sorted the whole table (bench/http).
CREATE INDEX cases_updated ON cases (updated_at, id);
-- The handler queue's full sort order (status, oldest submission, then creation, then id).
CREATE INDEX cases_queue_order ON cases (status, submitted_at, created_at, id);
