-- Failed logins per account and client address (ASVS V2.2.1): five failures from one address
-- block that account from that address for a while; other addresses are not affected, so that
-- nobody can lock a chosen colleague out. Kept in the database for several app instances.
CREATE TABLE login_throttle (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_addr TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client_addr)
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);
