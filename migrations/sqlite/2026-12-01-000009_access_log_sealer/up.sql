-- The access log without a global lock per read (docs/architecture.md, "The access log"):
-- requests insert rows unchained (id from AUTOINCREMENT, hash, prev_hash and seal_seq NULL) and a
-- sealer chains them afterwards in sealing order. SQLite cannot drop NOT NULL, so the table is
-- rebuilt.
DROP TRIGGER access_log_no_update;
DROP TRIGGER access_log_no_delete;

CREATE TABLE access_log_sealed (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TIMESTAMP NOT NULL,
    user_hsa_id TEXT,
    role TEXT,
    unit_code TEXT,
    action TEXT NOT NULL,
    object TEXT,
    personnummer TEXT,
    client_addr TEXT,
    detail TEXT,
    prev_hash TEXT,
    hash TEXT,
    seal_seq BIGINT,
    CONSTRAINT access_log_sealed_whole CHECK (
        (seal_seq IS NULL AND hash IS NULL AND prev_hash IS NULL)
        OR (seal_seq IS NOT NULL AND hash IS NOT NULL AND prev_hash IS NOT NULL))
);
-- The rows chained so far were chained in id order from 1: they count as sealed, in that order.
INSERT INTO access_log_sealed (id, at, user_hsa_id, role, unit_code, action, object,
    personnummer, client_addr, detail, prev_hash, hash, seal_seq)
SELECT id, at, user_hsa_id, role, unit_code, action, object, personnummer, client_addr, detail,
    prev_hash, hash, id
FROM access_log ORDER BY id;
DROP TABLE access_log;
ALTER TABLE access_log_sealed RENAME TO access_log;
CREATE INDEX access_log_pnr ON access_log (personnummer, id);
CREATE INDEX access_log_user ON access_log (user_hsa_id, id);
CREATE INDEX access_log_at ON access_log (at);
CREATE UNIQUE INDEX access_log_seal ON access_log (seal_seq);
CREATE INDEX access_log_unsealed ON access_log (id) WHERE seal_seq IS NULL;

-- The head is now the sealer's: the last sealed seal_seq and its hash. Rows up to legacy_seq were
-- chained by the old formula (without seal_seq).
ALTER TABLE access_log_head RENAME COLUMN last_id TO last_seq;
ALTER TABLE access_log_head ADD COLUMN legacy_seq BIGINT NOT NULL DEFAULT 0;
UPDATE access_log_head SET legacy_seq = last_seq;

-- Append-only, with one exception: the sealing update of an unsealed row, which sets hash,
-- prev_hash and seal_seq from NULL and changes nothing else. Inserts must be unsealed.
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
WHEN NOT (
    OLD.seal_seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
    AND NEW.seal_seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.user_hsa_id IS OLD.user_hsa_id
    AND NEW.role IS OLD.role AND NEW.unit_code IS OLD.unit_code AND NEW.action IS OLD.action
    AND NEW.object IS OLD.object AND NEW.personnummer IS OLD.personnummer
    AND NEW.client_addr IS OLD.client_addr AND NEW.detail IS OLD.detail)
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_insert_unsealed BEFORE INSERT ON access_log
WHEN NEW.seal_seq IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'access_log: rows are inserted unsealed'); END;
