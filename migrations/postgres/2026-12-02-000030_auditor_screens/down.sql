-- The backfilled subject rows stay: access_log_subjects is append-only.
DROP TABLE audit_spot_check_entries;
DROP TABLE audit_spot_checks;
DROP INDEX access_log_object;
DROP INDEX access_log_action;
DROP INDEX access_log_role;
DROP INDEX access_log_unit;
