-- One row per reminder ever sent (a case and a stable key such as "before", "due",
-- "overdue-3", "form-2"): the unique key makes each reminder go out once, across restarts and
-- instances.
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, key)
);

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    decided_at TIMESTAMP NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('keep', 'unlock')),
    patient_informed_date DATE,
    patient_not_informed_reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    next_review DATE
);
CREATE INDEX reviews_case ON reviews (case_id, id);

ALTER TABLE cases ADD COLUMN caller_email TEXT NOT NULL DEFAULT '';
