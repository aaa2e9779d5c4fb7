ALTER TABLE cases DROP COLUMN review_responsible_hsa_id;
ALTER TABLE cases DROP COLUMN review_responsible_email;
ALTER TABLE cases DROP COLUMN review_responsible_name;
ALTER TABLE cases DROP COLUMN duplicate_reason;
