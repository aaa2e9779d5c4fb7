DROP TRIGGER access_log_insert_unsealed;
CREATE TRIGGER access_log_insert_unsealed BEFORE INSERT ON access_log
WHEN NEW.seal_seq IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'access_log: rows are inserted unsealed'); END;
