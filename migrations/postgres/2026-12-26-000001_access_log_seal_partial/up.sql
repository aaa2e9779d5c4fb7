-- access_log_seal (the seal order, unique) without its NULLs. Every entry is inserted unsealed,
-- and a unique index keeps a NULL as an entry of its own: each request's log entry paid one index
-- insert here that no query reads (the sealer finds unsealed rows by access_log_unsealed, the walk
-- and the export ask `seal_seq > n`, which the planner knows is never NULL). The sealing update
-- inserts the row's seal here, as it did. Uniqueness of the set seals is unchanged.
-- The build reads the table once and blocks writes to access_log while it runs (tens of seconds
-- at ten million rows): run it when the log is quiet.
CREATE UNIQUE INDEX access_log_seal_set ON access_log (seal_seq) WHERE seal_seq IS NOT NULL;
DROP INDEX access_log_seal;
ALTER INDEX access_log_seal_set RENAME TO access_log_seal;
