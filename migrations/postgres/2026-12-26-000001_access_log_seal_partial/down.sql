CREATE UNIQUE INDEX access_log_seal_all ON access_log (seal_seq);
DROP INDEX access_log_seal;
ALTER INDEX access_log_seal_all RENAME TO access_log_seal;
