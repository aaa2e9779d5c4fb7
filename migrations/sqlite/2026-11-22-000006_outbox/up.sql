-- Every outgoing message, written in the transaction of the event that causes it, kept until
-- the SMTP server accepted it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    unit_id BIGINT REFERENCES units (id),
    recipient TEXT NOT NULL,
    encrypted BOOLEAN NOT NULL,
    message BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claimed_by TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
CREATE INDEX outbox_case ON outbox (case_id, id);

CREATE TABLE unit_certificates (
    unit_id BIGINT PRIMARY KEY NOT NULL REFERENCES units (id),
    pem TEXT NOT NULL,
    subject TEXT NOT NULL,
    not_before TIMESTAMP NOT NULL,
    not_after TIMESTAMP NOT NULL,
    fingerprint TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);
