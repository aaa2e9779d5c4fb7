-- PostgreSQL's insert guard on access_log gets a WHEN clause here (see its up.sql): there the
-- guard is a plpgsql function. SQLite's guards are plain SQL triggers. Nothing to change.
SELECT 1;
