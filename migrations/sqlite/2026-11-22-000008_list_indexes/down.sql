DROP INDEX cases_unit_review;
DROP INDEX cases_status_updated;
