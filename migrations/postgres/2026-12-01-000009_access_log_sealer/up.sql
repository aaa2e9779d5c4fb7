-- The access log without a global lock per read (docs/architecture.md, "The access log"):
-- requests insert rows unchained (id from a sequence, hash, prev_hash and seal_seq NULL) and a
-- sealer chains them afterwards in sealing order.
DROP TRIGGER access_log_no_change ON access_log;

ALTER TABLE access_log ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE access_log ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE access_log ADD COLUMN seal_seq BIGINT;
-- The rows chained so far were chained in id order from 1: they count as sealed, in that order.
UPDATE access_log SET seal_seq = id;
ALTER TABLE access_log ADD CONSTRAINT access_log_sealed_whole CHECK (
    (seal_seq IS NULL AND hash IS NULL AND prev_hash IS NULL)
    OR (seal_seq IS NOT NULL AND hash IS NOT NULL AND prev_hash IS NOT NULL));
CREATE UNIQUE INDEX access_log_seal ON access_log (seal_seq);
CREATE INDEX access_log_unsealed ON access_log (id) WHERE seal_seq IS NULL;

CREATE SEQUENCE access_log_id_seq OWNED BY access_log.id;
SELECT setval('access_log_id_seq', COALESCE((SELECT max(id) FROM access_log), 0) + 1, false);
ALTER TABLE access_log ALTER COLUMN id SET DEFAULT nextval('access_log_id_seq');

-- The head is now the sealer's: the last sealed seal_seq and its hash. Rows up to legacy_seq were
-- chained by the old formula (without seal_seq).
ALTER TABLE access_log_head RENAME COLUMN last_id TO last_seq;
ALTER TABLE access_log_head ADD COLUMN legacy_seq BIGINT NOT NULL DEFAULT 0;
UPDATE access_log_head SET legacy_seq = last_seq;

-- Append-only, with one exception: the sealing update of an unsealed row, which sets hash,
-- prev_hash and seal_seq from NULL and changes nothing else. Inserts must be unsealed.
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seal_seq IS NULL AND NEW.hash IS NULL AND NEW.prev_hash IS NULL THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'access_log: rows are inserted unsealed';
    END IF;
    IF TG_OP = 'UPDATE'
        AND OLD.seal_seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
        AND NEW.seal_seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
        AND (NEW.id, NEW.at, NEW.user_hsa_id, NEW.role, NEW.unit_code, NEW.action, NEW.object,
             NEW.personnummer, NEW.client_addr, NEW.detail)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.at, OLD.user_hsa_id, OLD.role, OLD.unit_code, OLD.action, OLD.object,
             OLD.personnummer, OLD.client_addr, OLD.detail)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'access_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_no_change BEFORE INSERT OR UPDATE OR DELETE ON access_log
FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
