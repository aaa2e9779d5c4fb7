//! Staff accounts, their roles and units, enrolment links and recovery codes.

use super::DbConnection;
use super::models::{NewUser, Unit, User};
use super::page::{self, Count, CountOf, Cursor, Page};
use super::schema::{enrolment_tokens, recovery_codes, units, user_roles, user_units, users};
use crate::domain::Role;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn by_hsa_id(conn: &mut DbConnection, hsa_id: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::hsa_id.eq(hsa_id))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, u: &NewUser<'_>) -> QueryResult<i64> {
    diesel::insert_into(users::table).values(u).execute(conn)?;
    users::table
        .filter(users::hsa_id.eq(u.hsa_id))
        .select(users::id)
        .first(conn)
}

pub fn roles(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<Role>> {
    let codes: Vec<String> = user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role)
        .load(conn)?;
    let mut roles: Vec<Role> = codes.iter().filter_map(|c| c.parse().ok()).collect();
    roles.sort();
    Ok(roles)
}

/// A unit a user belongs to: id, code, name.
pub type UnitOf = (i64, String, String);

/// A user's roles and units (id, code, name; by name) in one statement: what a request's
/// principal is made of (prepared once per connection: [`super::prepared::RolesAndUnits`]).
pub fn roles_and_units(
    conn: &mut DbConnection,
    user_id: i64,
) -> QueryResult<(Vec<Role>, Vec<UnitOf>)> {
    let q = super::prepared::RolesAndUnits { user_id };
    let rows: Vec<(String, i64, String, String)> = match conn {
        DbConnection::Sqlite(c) => q.load(c)?,
        DbConnection::Pg(c) => q.load(c)?,
    };
    let mut roles = Vec::new();
    let mut unit_rows = Vec::new();
    for (kind, id, code, name) in rows {
        if kind == "r" {
            if let Ok(role) = code.parse() {
                roles.push(role);
            }
        } else {
            unit_rows.push((id, code, name));
        }
    }
    roles.sort();
    unit_rows.sort_by(|x, y| x.2.cmp(&y.2));
    Ok((roles, unit_rows))
}

pub fn set_roles(conn: &mut DbConnection, user_id: i64, roles: &[Role]) -> QueryResult<()> {
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user_id))).execute(conn)?;
    for r in roles {
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(user_id),
                user_roles::role.eq(r.code()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn units_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<Unit>> {
    user_units::table
        .inner_join(units::table)
        .filter(user_units::user_id.eq(user_id))
        .order(units::name.asc())
        .select(Unit::as_select())
        .load(conn)
}

pub fn set_units(conn: &mut DbConnection, user_id: i64, unit_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(user_units::table.filter(user_units::user_id.eq(user_id))).execute(conn)?;
    for u in unit_ids {
        diesel::insert_into(user_units::table)
            .values((user_units::user_id.eq(user_id), user_units::unit_id.eq(u)))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChange<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub is_decider: bool,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

pub fn update_profile(conn: &mut DbConnection, id: i64, c: &ProfileChange<'_>) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(c)
        .execute(conn)
        .map(|_| ())
}

/// Stores the user's language (`sv`, `en`).
pub fn set_lang(
    conn: &mut DbConnection,
    id: i64,
    lang: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(users::table.find(id))
        .set((users::lang.eq(lang), users::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Staff whose name or HSA-ID contains `query`; with `unfinished`, only active accounts that never
/// finished enrolment (no second factor set up yet).
fn matching(
    query: &str,
    unfinished: bool,
) -> users::BoxedQuery<'static, <DbConnection as Connection>::Backend> {
    let pattern = format!("%{}%", query.replace(['%', '_'], ""));
    let mut q = users::table
        .filter(
            users::name
                .like(pattern.clone())
                .or(users::hsa_id.like(pattern.to_uppercase())),
        )
        .into_boxed();
    if unfinished {
        q = q
            .filter(users::active.eq(true))
            .filter(users::totp_secret.is_null());
    }
    q
}

/// How many staff `matching` selects, up to `cap + 1`.
pub fn count_matching(
    conn: &mut DbConnection,
    query: &str,
    unfinished: bool,
    cap: i64,
) -> QueryResult<Count> {
    let n: i64 =
        CountOf(matching(query, unfinished).select(users::id).limit(cap + 1)).get_result(conn)?;
    Ok(Count::of(n, cap))
}

/// A page of staff whose name or HSA-ID contains `query` (with `unfinished`: only those who never
/// finished enrolment), by name (and id), by key; the count capped at `cap`.
pub fn page(
    conn: &mut DbConnection,
    query: &str,
    unfinished: bool,
    cursor: &Cursor<()>,
    limit: i64,
    cap: i64,
) -> QueryResult<Page<User, ()>> {
    let count = count_matching(conn, query, unfinished, cap)?;
    let cursor = page::named_cursor(cursor, |id| {
        users::table
            .find(id)
            .select(users::name)
            .first(conn)
            .optional()
    })?;
    page::fetch(
        &cursor,
        limit,
        |c, n| {
            let q = matching(query, unfinished);
            crate::keyset!(q, c, users::name, users::id, asc)
                .limit(n)
                .select(User::as_select())
                .load(conn)
        },
        |u| (u.name.clone(), u.id),
        count,
    )
    .map(Page::ids_only)
}

/// Users holding a role (for choosing a unit's verksamhetschef).
pub fn with_role(conn: &mut DbConnection, role: Role, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .inner_join(user_roles::table)
        .filter(user_roles::role.eq(role.code()))
        .filter(users::active.eq(true))
        .order(users::name.asc())
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

/// Active users with the decider flag, by name.
pub fn deciders(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::is_decider.eq(true))
        .filter(users::active.eq(true))
        .order(users::name.asc())
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

pub fn record_login(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::last_login_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Claims a TOTP step: succeeds only when the step is later than the last one used, so that
/// each code works once even when two logins race.
pub fn claim_totp_step(conn: &mut DbConnection, id: i64, step: i64) -> QueryResult<bool> {
    let n = diesel::update(
        users::table.find(id).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_password(
    conn: &mut DbConnection,
    id: i64,
    hash: Option<&str>,
    must_change: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::must_change_password.eq(must_change),
            users::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn set_totp(
    conn: &mut DbConnection,
    id: i64,
    secret: Option<&str>,
    last_step: Option<i64>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(secret),
            users::totp_last_step.eq(last_step),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the stored TOTP secret (re-encryption), keeping the last used step.
pub fn replace_totp_secret(conn: &mut DbConnection, id: i64, secret: &str) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::totp_secret.is_not_null()),
    )
    .set(users::totp_secret.eq(secret))
    .execute(conn)
    .map(|_| ())
}

/// Every stored TOTP secret, by user id (for re-encryption).
pub fn totp_secrets(conn: &mut DbConnection) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::totp_secret.is_not_null())
        .order(users::id.asc())
        .select((users::id, users::totp_secret.assume_not_null()))
        .load(conn)
}

/// One encrypted TOTP secret, if any (to check the key at start).
pub fn sealed_totp_sample(conn: &mut DbConnection) -> QueryResult<Option<(i64, String)>> {
    users::table
        .filter(users::totp_secret.like("v1:%"))
        .order(users::id.asc())
        .select((users::id, users::totp_secret.assume_not_null()))
        .first(conn)
        .optional()
}

pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    user_id: i64,
    hashes: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    for h in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(h),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks an unused recovery code used; false when there is none with that hash.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: i64,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn unused_recovery_codes(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn insert_enrolment_token(
    conn: &mut DbConnection,
    user_id: i64,
    token_hash: &str,
    expires_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<()> {
    // A new link replaces any earlier unused one.
    diesel::delete(
        enrolment_tokens::table
            .filter(enrolment_tokens::user_id.eq(user_id))
            .filter(enrolment_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(enrolment_tokens::table)
        .values((
            enrolment_tokens::token_hash.eq(token_hash),
            enrolment_tokens::user_id.eq(user_id),
            enrolment_tokens::expires_at.eq(expires_at),
            enrolment_tokens::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The user of a usable (unused, unexpired) enrolment token.
pub fn enrolment_token_user(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    enrolment_tokens::table
        .filter(enrolment_tokens::token_hash.eq(token_hash))
        .filter(enrolment_tokens::used_at.is_null())
        .filter(enrolment_tokens::expires_at.gt(now))
        .select(enrolment_tokens::user_id)
        .first(conn)
        .optional()
}

pub fn use_enrolment_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        enrolment_tokens::table
            .filter(enrolment_tokens::token_hash.eq(token_hash))
            .filter(enrolment_tokens::used_at.is_null()),
    )
    .set(enrolment_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Active members of a unit (for choosing the review-responsible person or a decider).
pub fn members_of(conn: &mut DbConnection, unit_id: i64) -> QueryResult<Vec<User>> {
    users::table
        .inner_join(user_units::table)
        .filter(user_units::unit_id.eq(unit_id))
        .filter(users::active.eq(true))
        .order(users::name.asc())
        .limit(500)
        .select(User::as_select())
        .load(conn)
}

pub fn is_member(conn: &mut DbConnection, user_id: i64, unit_id: i64) -> QueryResult<bool> {
    let n: i64 = user_units::table
        .filter(user_units::user_id.eq(user_id))
        .filter(user_units::unit_id.eq(unit_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Active members of a unit who hold a role (the chefläkare of a unit's area), by id.
pub fn with_role_in_unit(
    conn: &mut DbConnection,
    role: Role,
    unit_id: i64,
) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::active.eq(true))
        .filter(
            users::id.eq_any(
                user_roles::table
                    .filter(user_roles::role.eq(role.code()))
                    .select(user_roles::user_id),
            ),
        )
        .filter(
            users::id.eq_any(
                user_units::table
                    .filter(user_units::unit_id.eq(unit_id))
                    .select(user_units::user_id),
            ),
        )
        .order(users::id.asc())
        .limit(1000)
        .select(User::as_select())
        .load(conn)
}
