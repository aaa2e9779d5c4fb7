CREATE INDEX access_log_pnr ON access_log (personnummer, id);
