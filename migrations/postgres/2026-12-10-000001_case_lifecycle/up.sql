-- The lifecycle across cases (issue 13): why a new lock was filed for a citizen already locked
-- (or with an open lock case), and a named review-responsible person for a paper or API case
-- from a unit without users in Kontospärr.
ALTER TABLE cases ADD COLUMN duplicate_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN review_responsible_name TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN review_responsible_email TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN review_responsible_hsa_id TEXT NOT NULL DEFAULT '';
