DROP TRIGGER access_log_no_sealed_insert ON access_log;
DROP TRIGGER access_log_no_change ON access_log;
CREATE TRIGGER access_log_no_change BEFORE INSERT OR UPDATE OR DELETE ON access_log
FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
