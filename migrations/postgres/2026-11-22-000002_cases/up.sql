CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('lock', 'unlock')),
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    channel TEXT NOT NULL CHECK (channel IN ('eservice', 'paper', 'emergency', 'api')),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    care_provider_id BIGINT REFERENCES care_providers (id),
    citizen_pnr TEXT NOT NULL,
    citizen_name TEXT NOT NULL DEFAULT '',
    citizen_protected BOOLEAN NOT NULL DEFAULT FALSE,
    citizen_contact TEXT NOT NULL DEFAULT '',
    risk_kinds TEXT NOT NULL DEFAULT '',
    basis TEXT NOT NULL DEFAULT '',
    situations TEXT NOT NULL DEFAULT '',
    situation_other TEXT NOT NULL DEFAULT '',
    assessment_reasons TEXT NOT NULL DEFAULT '',
    assessment_risks TEXT NOT NULL DEFAULT '',
    assessment_scope TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL DEFAULT 'staff' CHECK (requested_by IN ('staff', 'citizen')),
    decider_user_id BIGINT REFERENCES users (id),
    decider_name TEXT NOT NULL DEFAULT '',
    decider_role TEXT NOT NULL DEFAULT '',
    decider_hsa_id TEXT NOT NULL DEFAULT '',
    decided_on DATE,
    journal_note_date DATE,
    chief_informed_date DATE,
    chief_informed_whom TEXT NOT NULL DEFAULT '',
    patient_informed_date DATE,
    patient_not_informed_reason TEXT NOT NULL DEFAULT '',
    journal_sealing_requested BOOLEAN NOT NULL DEFAULT FALSE,
    review_responsible_user_id BIGINT REFERENCES users (id),
    related_case_id BIGINT REFERENCES cases (id),
    diary_year INTEGER,
    diary_seq BIGINT,
    diary_number TEXT UNIQUE,
    helpdesk_ref TEXT NOT NULL DEFAULT '',
    plexus_ref TEXT NOT NULL DEFAULT '',
    arrival_date DATE,
    return_reason TEXT NOT NULL DEFAULT '',
    withdraw_reason TEXT NOT NULL DEFAULT '',
    caller_name TEXT NOT NULL DEFAULT '',
    caller_phone TEXT NOT NULL DEFAULT '',
    form_linked_at TIMESTAMP,
    executed_at TIMESTAMP,
    executed_by_user_id BIGINT REFERENCES users (id),
    review_due DATE,
    submitted_at TIMESTAMP,
    created_by_user_id BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (diary_year, diary_seq)
);
CREATE INDEX cases_queue ON cases (status, submitted_at, id);
CREATE INDEX cases_unit ON cases (unit_id, updated_at);
CREATE INDEX cases_pnr ON cases (citizen_pnr, id);
CREATE INDEX cases_related ON cases (related_case_id);
CREATE INDEX cases_diary ON cases (diary_year, diary_seq);
CREATE INDEX cases_review ON cases (review_due);

CREATE TABLE case_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at TIMESTAMP NOT NULL,
    user_id BIGINT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE case_checks (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    item TEXT NOT NULL,
    done_by_user_id BIGINT NOT NULL REFERENCES users (id),
    done_by_name TEXT NOT NULL,
    done_at TIMESTAMP NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, item)
);

CREATE TABLE diary_counters (
    year INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
