-- Back to the locked head: only possible while every row is sealed.
DROP TRIGGER access_log_no_change ON access_log;
ALTER TABLE access_log_head DROP COLUMN legacy_seq;
ALTER TABLE access_log_head RENAME COLUMN last_seq TO last_id;
ALTER TABLE access_log ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE access_log_id_seq;
DROP INDEX access_log_unsealed;
DROP INDEX access_log_seal;
ALTER TABLE access_log DROP CONSTRAINT access_log_sealed_whole;
ALTER TABLE access_log DROP COLUMN seal_seq;
ALTER TABLE access_log ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE access_log ALTER COLUMN hash SET NOT NULL;
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
