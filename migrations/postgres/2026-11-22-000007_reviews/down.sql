DROP TABLE reviews;
DROP TABLE reminders;
ALTER TABLE cases DROP COLUMN caller_email;
