//! Server-side login sessions. Only a SHA-256 of the cookie value is stored.

use super::DbConnection;
use super::models::{SessionRow, User};
use super::schema::{sessions, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a new session row holds besides its id.
pub struct NewSession<'a> {
    pub user_id: Option<i64>,
    pub stage: &'a str,
    pub csrf_token: &'a str,
    pub at: NaiveDateTime,
    pub client_addr: &'a str,
    /// `password`, `oidc:<provider>`, `client_cert`; None for an anonymous session.
    pub login_method: Option<&'a str>,
    /// The provider's ID token, sealed (an OpenID Connect login).
    pub id_token: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, id_hash: &str, s: &NewSession) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash),
            sessions::user_id.eq(s.user_id),
            sessions::stage.eq(s.stage),
            sessions::csrf_token.eq(s.csrf_token),
            sessions::created_at.eq(s.at),
            sessions::last_seen_at.eq(s.at),
            sessions::client_addr.eq(s.client_addr),
            sessions::login_method.eq(s.login_method),
            sessions::id_token.eq(s.id_token),
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

/// A session as every request reads it: the session row, its user, and the user's role codes and
/// unit ids, each comma-separated (None when there are none).
pub type Principal = (SessionRow, Option<User>, Option<String>, Option<String>);

/// The session, its user and the user's roles and unit ids in **one** statement: what every
/// request costs before its own work, one round trip to PostgreSQL instead of two (bench/http:
/// a case page was twelve), prepared once per connection like every diesel query of a fixed
/// shape. The two lists are aggregated in SQL ([`super::prepared::SessionRolesCsv`]); the units'
/// codes and names come from [`super::org::units_by_ids`].
pub fn find_principal(conn: &mut DbConnection, id_hash: &str) -> QueryResult<Option<Principal>> {
    on_backend!(conn, |c| principal_query!(id_hash).first(c).optional())
}

/// [`find_principal`]'s statement (a macro: its type is long, and the test below needs it too).
macro_rules! principal_query {
    ($id_hash:expr) => {
        sessions::table
            .left_join(users::table)
            .filter(sessions::id_hash.eq($id_hash))
            .select((
                SessionRow::as_select(),
                Option::<User>::as_select(),
                crate::db::prepared::SessionRolesCsv,
                crate::db::prepared::SessionUnitIdsCsv,
            ))
    };
}
use principal_query;

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

/// Keeps (or clears) the login under way at an OpenID Connect provider on an anonymous session.
pub fn set_oidc_pending(
    conn: &mut DbConnection,
    id_hash: &str,
    pending: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(id_hash)
            .filter(sessions::user_id.is_null()),
    )
    .set(sessions::oidc_pending.eq(pending))
    .execute(conn)
}

/// Takes the login under way on an anonymous session: returns it and clears it in one
/// statement, so that a provider's answer is accepted once (a replayed `state` finds nothing).
pub fn take_oidc_pending(conn: &mut DbConnection, id_hash: &str) -> QueryResult<Option<String>> {
    let row: Option<SessionRow> = find(conn, id_hash)?;
    let Some(pending) = row
        .filter(|r| r.user_id.is_none())
        .and_then(|r| r.oidc_pending)
    else {
        return Ok(None);
    };
    // Cleared only if still the same value: of two answers racing, one wins.
    let cleared = diesel::update(
        sessions::table
            .find(id_hash)
            .filter(sessions::oidc_pending.eq(&pending)),
    )
    .set(sessions::oidc_pending.eq(None::<String>))
    .execute(conn)?;
    Ok((cleared == 1).then_some(pending))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared_once<DB, Q>(_: &Q) -> bool
    where
        DB: diesel::backend::Backend,
        Q: diesel::query_builder::QueryId + diesel::query_builder::QueryFragment<DB>,
    {
        Q::HAS_STATIC_QUERY_ID
    }

    /// Every request runs it: diesel must prepare it once per connection and keep it (a query
    /// without a static id is parsed and planned by PostgreSQL on every call).
    #[test]
    fn the_sessions_statement_is_prepared_once() {
        assert!(prepared_once::<diesel::pg::Pg, _>(
            &principal_query!("x").limit(1)
        ));
        assert!(prepared_once::<diesel::sqlite::Sqlite, _>(
            &principal_query!("x").limit(1)
        ));
    }
}
