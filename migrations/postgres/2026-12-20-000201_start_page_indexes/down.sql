DROP INDEX cases_unit_decided_id;
