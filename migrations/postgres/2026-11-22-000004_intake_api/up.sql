CREATE TABLE api_clients (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_requests (
    client_id BIGINT NOT NULL REFERENCES api_clients (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, idempotency_key)
);
