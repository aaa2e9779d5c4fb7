-- SQLite has one writer at a time: a transaction that appends to the access log already holds the
-- whole database, so the row is sealed as it is inserted (db::audit::append) instead of by the
-- sealer a second later, whose rounds held that one writer for up to a tenth of a second each
-- second under load (bench/http). A row may now be inserted sealed, but only as the next link after
-- the head: the seal_seq after the head's, and the head's hash as its prev_hash. Unsealed inserts
-- stay allowed (a row appended outside a transaction, or left by an earlier version): the sealer
-- chains them.
DROP TRIGGER access_log_insert_unsealed;
CREATE TRIGGER access_log_insert_unsealed BEFORE INSERT ON access_log
WHEN (NEW.seal_seq IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL)
    AND NOT (NEW.seal_seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
        AND NEW.seal_seq IS (SELECT last_seq + 1 FROM access_log_head WHERE id = 1)
        AND NEW.prev_hash IS (SELECT last_hash FROM access_log_head WHERE id = 1))
BEGIN SELECT RAISE(ABORT, 'access_log: rows are inserted unsealed, or sealed as the next link after the head'); END;
