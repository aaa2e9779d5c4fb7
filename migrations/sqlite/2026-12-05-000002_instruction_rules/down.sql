ALTER TABLE care_providers DROP COLUMN regional_id;
ALTER TABLE care_providers DROP COLUMN kind;
ALTER TABLE units DROP COLUMN medical_lead_user_id;
ALTER TABLE cases DROP COLUMN journal_sealing_answered;
ALTER TABLE cases DROP COLUMN journal_note_reason;
