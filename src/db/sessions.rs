//! Server-side login sessions. Only a SHA-256 of the cookie value is stored.

use super::DbConnection;
use super::models::SessionRow;
use super::schema::sessions;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: Option<i64>,
    stage: &str,
    csrf_token: &str,
    at: NaiveDateTime,
    client_addr: &str,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash),
            sessions::user_id.eq(user_id),
            sessions::stage.eq(stage),
            sessions::csrf_token.eq(csrf_token),
            sessions::created_at.eq(at),
            sessions::last_seen_at.eq(at),
            sessions::client_addr.eq(client_addr),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id_hash: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id_hash)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut DbConnection, id_hash: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::last_seen_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

pub fn set_stage(conn: &mut DbConnection, id_hash: &str, stage: &str) -> QueryResult<()> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::stage.eq(stage))
        .execute(conn)
        .map(|_| ())
}

pub fn set_pending_totp(
    conn: &mut DbConnection,
    id_hash: &str,
    secret: Option<&str>,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::pending_totp_secret.eq(secret))
        .execute(conn)
        .map(|_| ())
}

/// Every secret being enrolled, by session (for re-encryption).
pub fn pending_totp_secrets(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    sessions::table
        .filter(sessions::pending_totp_secret.is_not_null())
        .select((
            sessions::id_hash,
            sessions::pending_totp_secret.assume_not_null(),
        ))
        .load(conn)
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)
}

pub fn delete_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(Some(user_id)))).execute(conn)
}

/// Removes sessions idle since before `idle_before` or created before `created_before`.
pub fn delete_expired(
    conn: &mut DbConnection,
    idle_before: NaiveDateTime,
    created_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(idle_before)
                .or(sessions::created_at.lt(created_before)),
        ),
    )
    .execute(conn)
}
