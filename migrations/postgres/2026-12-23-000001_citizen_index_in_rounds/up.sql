-- The tables of SQLite's citizen index built in rounds (the SQLite migration of this name says
-- why), so that both backends have one schema and one query. PostgreSQL keeps its index on
-- access_log_subjects (personnummer, entry_id): an insert there writes a small WAL record, not a
-- whole page, and its writers run side by side. No round runs here: access_log_citizens stays
-- empty, the head stays at 0, and a citizen search reads every subject row by that index.
CREATE TABLE access_log_citizens (
    personnummer TEXT NOT NULL,
    entry_id BIGINT NOT NULL,
    PRIMARY KEY (personnummer, entry_id)
);
CREATE TABLE access_log_citizens_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through_entry_id BIGINT NOT NULL
);
INSERT INTO access_log_citizens_head (id, through_entry_id) VALUES (1, 0);
