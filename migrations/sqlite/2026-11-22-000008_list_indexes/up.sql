-- Lists found slow by bench/run with 200 000 cases: a status filter ordered by last change,
-- and the review list per unit ordered by due date.
CREATE INDEX cases_status_updated ON cases (status, updated_at);
CREATE INDEX cases_unit_review ON cases (unit_id, review_due);
