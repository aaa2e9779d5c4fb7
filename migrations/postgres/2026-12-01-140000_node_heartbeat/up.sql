-- One row per serving node: /healthz writes its heartbeat here, which proves that the database
-- accepts writes (not just reads), and shows which nodes were alive when.
CREATE TABLE node_heartbeats (
    node TEXT PRIMARY KEY NOT NULL,
    beat_at TIMESTAMP NOT NULL
);
