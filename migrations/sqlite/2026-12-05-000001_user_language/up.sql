-- The language a user chose for the interface and their mail (issue 8: Swedish by default,
-- English on request, a setting on the user's own page).
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'sv' CHECK (lang IN ('sv', 'en'));
