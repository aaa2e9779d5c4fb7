-- Back to the locked head: only possible while every row is sealed.
DROP TRIGGER access_log_insert_unsealed;
DROP TRIGGER access_log_no_update;
DROP TRIGGER access_log_no_delete;
ALTER TABLE access_log_head DROP COLUMN legacy_seq;
ALTER TABLE access_log_head RENAME COLUMN last_seq TO last_id;
CREATE TABLE access_log_chained (
    id BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    user_hsa_id TEXT,
    role TEXT,
    unit_code TEXT,
    action TEXT NOT NULL,
    object TEXT,
    personnummer TEXT,
    client_addr TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO access_log_chained (id, at, user_hsa_id, role, unit_code, action, object,
    personnummer, client_addr, detail, prev_hash, hash)
SELECT id, at, user_hsa_id, role, unit_code, action, object, personnummer, client_addr, detail,
    prev_hash, hash
FROM access_log ORDER BY id;
DROP TABLE access_log;
ALTER TABLE access_log_chained RENAME TO access_log;
CREATE INDEX access_log_pnr ON access_log (personnummer, id);
CREATE INDEX access_log_user ON access_log (user_hsa_id, id);
CREATE INDEX access_log_at ON access_log (at);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
