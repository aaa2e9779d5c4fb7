//! Failed logins per (account, client address); see `service::auth::login`.

use super::DbConnection;
use super::schema::login_throttle as t;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Until when the account is blocked from this address, if it is.
pub fn locked_until(
    conn: &mut DbConnection,
    user_id: i64,
    addr: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    Ok(t::table
        .find((user_id, addr))
        .select(t::locked_until)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}

/// Counts one more failure from `addr` and returns the count. The row is created if missing and
/// the increment is one UPDATE, so that parallel attempts (PostgreSQL) each count.
pub fn add_failure(
    conn: &mut DbConnection,
    user_id: i64,
    addr: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    macro_rules! ensure_row {
        ($c:expr) => {
            diesel::insert_into(t::table)
                .values((
                    t::user_id.eq(user_id),
                    t::client_addr.eq(addr),
                    t::failures.eq(0),
                    t::updated_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute($c)
        };
    }
    match conn {
        DbConnection::Pg(c) => ensure_row!(c)?,
        DbConnection::Sqlite(c) => ensure_row!(c)?,
    };
    diesel::update(t::table.find((user_id, addr)))
        .set((t::failures.eq(t::failures + 1), t::updated_at.eq(now)))
        .execute(conn)?;
    t::table
        .find((user_id, addr))
        .select(t::failures)
        .first(conn)
}

/// Blocks the account from `addr` until `until` and starts the count again.
pub fn lock(
    conn: &mut DbConnection,
    user_id: i64,
    addr: &str,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(t::table.find((user_id, addr)))
        .set((
            t::failures.eq(0),
            t::locked_until.eq(Some(until)),
            t::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A successful login from `addr` forgets the failures from there.
pub fn clear(conn: &mut DbConnection, user_id: i64, addr: &str) -> QueryResult<()> {
    diesel::delete(t::table.find((user_id, addr)))
        .execute(conn)
        .map(|_| ())
}

/// A new password (set by link or reset by an administrator) forgets every failure.
pub fn clear_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<()> {
    diesel::delete(t::table.filter(t::user_id.eq(user_id)))
        .execute(conn)
        .map(|_| ())
}
