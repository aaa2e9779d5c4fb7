-- Rules of instruction 002 the system now holds (issue 13).
-- Journal note older than the setting allows: the clinician's reason.
ALTER TABLE cases ADD COLUMN journal_note_reason TEXT NOT NULL DEFAULT '';
-- Journal sealing must be answered (yes or no); cases filed before were answered or defaulted.
ALTER TABLE cases ADD COLUMN journal_sealing_answered BOOLEAN NOT NULL DEFAULT 0;
UPDATE cases SET journal_sealing_answered = 1
 WHERE status <> 'draft' OR decided_on IS NOT NULL OR journal_sealing_requested = 1;
-- The unit's medicinskt ansvarig läkare (MAL), a decider role of 002 §3.1.
ALTER TABLE units ADD COLUMN medical_lead_user_id BIGINT REFERENCES users(id);
-- Providers: 'private' (on the approved list) or 'public' (another region, a municipality);
-- regional_id: the provider's signers have the region's id (no identity check by phone).
ALTER TABLE care_providers ADD COLUMN kind TEXT NOT NULL DEFAULT 'private';
ALTER TABLE care_providers ADD COLUMN regional_id BOOLEAN NOT NULL DEFAULT 0;
