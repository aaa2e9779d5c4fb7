//! The health check's heartbeat: one row per node, upserted on every `/healthz`.

use super::DbConnection;
use super::schema::node_heartbeats as h;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Writes this node's heartbeat (insert, or update the time): proves the database takes writes.
pub fn beat(conn: &mut DbConnection, node: &str, at: NaiveDateTime) -> QueryResult<()> {
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(h::table)
                .values((h::node.eq(node), h::beat_at.eq(at)))
                .on_conflict(h::node)
                .do_update()
                .set(h::beat_at.eq(at))
                .execute($c)
        };
    }
    match conn {
        DbConnection::Pg(c) => upsert!(c)?,
        DbConnection::Sqlite(c) => upsert!(c)?,
    };
    Ok(())
}

/// The newest heartbeat of a node.
pub fn last_beat(conn: &mut DbConnection, node: &str) -> QueryResult<Option<NaiveDateTime>> {
    h::table
        .find(node)
        .select(h::beat_at)
        .first(conn)
        .optional()
}
