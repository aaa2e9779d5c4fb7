DROP INDEX reviews_due;
DROP INDEX cases_stats_linked;
DROP INDEX cases_stats_executed;
ALTER TABLE reviews DROP COLUMN decided_on;
ALTER TABLE reviews DROP COLUMN due_on;
ALTER TABLE cases DROP COLUMN returned_count;
