-- The access log's two randomly keyed indexes, the citizen's (access_log_subjects_pnr) and the
-- case's (access_log_object), lead with the entry's era: its id >> 20, about a million entries
-- (docs/architecture.md, "The citizen and case indexes by era on PostgreSQL").
--
-- Why: every case view inserts into both, every list view fifty times into the citizen's, each
-- at a random place in an index of the whole ten years. The first change to a leaf after a
-- checkpoint writes the whole 8 KiB page to the WAL, so nearly every such insert did: 13 KB of WAL
-- a case view, most of it page images (pg_stat_wal, bench/http 2026-12-05), and the load's own WAL
-- started a checkpoint three times a run, during which the lists' p99 went over 100 ms. Led by
-- the era, an insert goes to the newest era's part of the index, a million entries' rows, whose
-- leaves are written again and again between checkpoints instead of once each: the page images
-- are bounded by the newest era's size, not by ten years'.
--
-- A search names the eras (`(id >> 20) = ANY(...)` from 0 to the newest, db::audit_search): one
-- descent per era, about ten at ten years. Building the two indexes reads the log once each and
-- blocks writes to it meanwhile (17 s for both at ten million rows, bench/http's seed on a 2-core
-- EPYC): run it when the log is quiet.
CREATE INDEX IF NOT EXISTS access_log_subjects_era
    ON access_log_subjects ((entry_id >> 20), personnummer, entry_id);
DROP INDEX IF EXISTS access_log_subjects_pnr;
CREATE INDEX IF NOT EXISTS access_log_object_era ON access_log ((id >> 20), object, id);
DROP INDEX IF EXISTS access_log_object;
