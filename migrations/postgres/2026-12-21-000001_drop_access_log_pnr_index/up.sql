-- "Who read about this citizen" is answered from access_log_subjects alone (every entry naming a
-- citizen, a single one in its personnummer column or many in a list, has its subject rows), and
-- no query filters access_log on its personnummer column. Its index cost every single-citizen
-- entry an insert into a scattered leaf of a ten-million-row index (bench/http), and on
-- PostgreSQL a second one when the sealer rewrites the row.
DROP INDEX access_log_pnr;
