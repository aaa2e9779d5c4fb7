CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    filename TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by_user_id BIGINT REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id, id);
