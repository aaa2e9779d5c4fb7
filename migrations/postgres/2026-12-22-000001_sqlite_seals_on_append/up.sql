-- Nothing changes on PostgreSQL: its writers run side by side, and sealing on append would make
-- every one of them wait for the head row again. Rows are appended unsealed and the sealer chains
-- them (the SQLite migration of this name lets the single writer seal as it appends).
SELECT 1;
