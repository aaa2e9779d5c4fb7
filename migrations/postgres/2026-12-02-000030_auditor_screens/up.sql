-- The auditor's screens (docs/architecture.md, "The auditor's screens").
-- The log search filters on unit, role and action and pages by id, newest first: one index per
-- filter, ending in the id, so that each filter walks its index backwards from the page's cursor.
-- (User: access_log_user; citizen: access_log_subjects_pnr; period: access_log_at.)
CREATE INDEX access_log_unit ON access_log (unit_code, id);
CREATE INDEX access_log_role ON access_log (role, id);
CREATE INDEX access_log_action ON access_log (action, id);
-- The entries about one case (the case column of a result links to them).
CREATE INDEX access_log_object ON access_log (object, id);
-- Entries written before access_log_subjects existed name their one citizen in personnummer only:
-- give them their subject row, so that the citizen search and the extract read the child table
-- alone. (Single-citizen entries carry no subject digest, so the chain is not affected.)
INSERT INTO access_log_subjects (entry_id, personnummer)
SELECT id, personnummer FROM access_log WHERE personnummer IS NOT NULL
ON CONFLICT DO NOTHING;

-- A spot check of the access log (logguppföljning, HSLF-FS 2016:40): what was checked, the sample
-- reviewed, what was found and what follows. Who made it is copied (name, HSA-ID) as it was then.
CREATE TABLE audit_spot_checks (
    id BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    user_name TEXT NOT NULL,
    user_hsa_id TEXT NOT NULL,
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    scope TEXT NOT NULL,
    sample_size INTEGER NOT NULL,
    findings TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('no_remarks', 'remarks', 'incident')),
    follow_up TEXT NOT NULL
);
-- The log entries a check reviewed (its drawn sample).
CREATE TABLE audit_spot_check_entries (
    check_id BIGINT NOT NULL REFERENCES audit_spot_checks (id),
    entry_id BIGINT NOT NULL REFERENCES access_log (id),
    PRIMARY KEY (check_id, entry_id)
);
