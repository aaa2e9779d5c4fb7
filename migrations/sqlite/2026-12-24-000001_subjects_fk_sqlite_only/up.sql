-- PostgreSQL drops the foreign key of access_log_subjects to access_log here (see its up.sql: a
-- per-row check that cost more than the rest of a list view's log entry). SQLite keeps it: its
-- check is an in-process lookup that costs nothing measurable. Nothing to change.
SELECT 1;
