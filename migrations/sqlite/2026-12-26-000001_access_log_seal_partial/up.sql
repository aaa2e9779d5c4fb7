-- PostgreSQL's access_log_seal loses its NULLs here (see its up.sql). On SQLite an entry written
-- inside a transaction (every page's) is sealed as it is inserted, so its seal index holds hardly
-- any NULLs to drop. Nothing to change.
SELECT 1;
