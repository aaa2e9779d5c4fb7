//! Units and approved private care providers.

use super::DbConnection;
use super::models::{CareProvider, Unit};
use super::page::{self, Count, CountOf, Cursor, Page};
use super::schema::{care_providers, units, user_units};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = units)]
pub struct UnitData<'a> {
    pub code: &'a str,
    pub name: &'a str,
    #[diesel(treat_none_as_null = true)]
    pub manager_user_id: Option<i64>,
    #[diesel(treat_none_as_null = true)]
    pub medical_lead_user_id: Option<i64>,
    pub chief_physician_function: &'a str,
    pub chief_physician_email: &'a str,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

/// Every unit by name (from the request's unit cache when one is installed, see
/// `db::unit_cache`).
pub fn all_units(conn: &mut DbConnection) -> QueryResult<Vec<Unit>> {
    Ok(super::unit_cache::all_or(conn, load_units)?.to_vec())
}

fn load_units(conn: &mut DbConnection) -> QueryResult<Vec<Unit>> {
    units::table
        .order((units::name.asc(), units::id.asc()))
        .select(Unit::as_select())
        .load(conn)
}

/// Which units a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnitSelection {
    #[default]
    All,
    /// Active units whose feedback has no one to go to: no verksamhetschef, or one who left or
    /// has no e-mail address.
    NoManagerEmail,
    /// Active units without a mail certificate (feedback goes as a notice without personal data).
    NoCertificate,
    /// Active units whose certificate is no longer valid at this time (expired, or expiring
    /// before it).
    CertificateBy(NaiveDateTime),
}

type BoxedUnits<'a> = units::BoxedQuery<'a, <DbConnection as Connection>::Backend>;

fn selected(s: UnitSelection) -> BoxedUnits<'static> {
    use super::schema::{unit_certificates, users};
    let q = units::table.into_boxed();
    match s {
        UnitSelection::All => q,
        UnitSelection::NoManagerEmail => q.filter(units::active.eq(true)).filter(
            units::manager_user_id
                .is_null()
                .or(units::manager_user_id.assume_not_null().eq_any(
                    users::table
                        .filter(users::active.eq(false).or(users::email.eq("")))
                        .select(users::id),
                )),
        ),
        UnitSelection::NoCertificate => q.filter(units::active.eq(true)).filter(diesel::dsl::not(
            units::id.eq_any(unit_certificates::table.select(unit_certificates::unit_id)),
        )),
        UnitSelection::CertificateBy(t) => q.filter(units::active.eq(true)).filter(
            units::id.eq_any(
                unit_certificates::table
                    .filter(unit_certificates::not_after.lt(t))
                    .select(unit_certificates::unit_id),
            ),
        ),
    }
}

/// How many units the selection holds, up to `cap + 1`.
pub fn units_count(conn: &mut DbConnection, s: UnitSelection, cap: i64) -> QueryResult<Count> {
    let n: i64 = CountOf(selected(s).select(units::id).limit(cap + 1)).get_result(conn)?;
    Ok(Count::of(n, cap))
}

/// A page of units by name (and id), by key; the count capped at `cap`.
pub fn units_page(
    conn: &mut DbConnection,
    selection: UnitSelection,
    cursor: &Cursor<()>,
    limit: i64,
    cap: i64,
) -> QueryResult<Page<Unit, ()>> {
    let count = units_count(conn, selection, cap)?;
    let cursor = page::named_cursor(cursor, |id| {
        units::table
            .find(id)
            .select(units::name)
            .first(conn)
            .optional()
    })?;
    page::fetch(
        &cursor,
        limit,
        |c, n| {
            let q = selected(selection);
            crate::keyset!(q, c, units::name, units::id, asc)
                .limit(n)
                .select(Unit::as_select())
                .load(conn)
        },
        |u| (u.name.clone(), u.id),
        count,
    )
    .map(Page::ids_only)
}

/// One unit (from the request's unit cache when one is installed).
pub fn unit(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Unit>> {
    if super::unit_cache::current().is_some() {
        let all = super::unit_cache::all_or(conn, load_units)?;
        return Ok(all.iter().find(|u| u.id == id).cloned());
    }
    units::table
        .find(id)
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

/// The units of these ids (in no particular order): from the cache when it has them all; a unit
/// it lacks (made on another node since this one read them) is read from the database with the
/// rest.
pub fn units_by_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Unit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    if super::unit_cache::current().is_some() {
        let all = super::unit_cache::all_or(conn, load_units)?;
        let found: Vec<Unit> = all
            .iter()
            .filter(|u| ids.contains(&u.id))
            .cloned()
            .collect();
        if found.len() == ids.len() {
            return Ok(found);
        }
    }
    // `in_list`, not `eq_any`: a statement diesel keeps (see `prepared::InList`).
    units::table
        .filter(super::prepared::in_list(units::id, ids))
        .select(Unit::as_select())
        .load(conn)
}

pub fn unit_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Unit>> {
    units::table
        .filter(units::code.eq(code))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

pub fn insert_unit(
    conn: &mut DbConnection,
    d: &UnitData<'_>,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    super::unit_cache::changed();
    diesel::insert_into(units::table)
        .values((d, units::created_at.eq(at)))
        .execute(conn)?;
    units::table
        .filter(units::code.eq(d.code))
        .select(units::id)
        .first(conn)
}

pub fn update_unit(conn: &mut DbConnection, id: i64, d: &UnitData<'_>) -> QueryResult<()> {
    super::unit_cache::changed();
    diesel::update(units::table.find(id))
        .set(d)
        .execute(conn)
        .map(|_| ())
}

pub fn member_count(conn: &mut DbConnection, unit_id: i64) -> QueryResult<i64> {
    user_units::table
        .filter(user_units::unit_id.eq(unit_id))
        .count()
        .get_result(conn)
}

/// A page of care providers by name (and id), by key; the count capped at `cap`.
pub fn providers_page(
    conn: &mut DbConnection,
    cursor: &Cursor<()>,
    limit: i64,
    cap: i64,
) -> QueryResult<Page<CareProvider, ()>> {
    let n: i64 = CountOf(
        care_providers::table
            .select(care_providers::id)
            .limit(cap + 1),
    )
    .get_result(conn)?;
    let cursor = page::named_cursor(cursor, |id| {
        care_providers::table
            .find(id)
            .select(care_providers::name)
            .first(conn)
            .optional()
    })?;
    page::fetch(
        &cursor,
        limit,
        |c, n| {
            let q = care_providers::table.into_boxed();
            crate::keyset!(q, c, care_providers::name, care_providers::id, asc)
                .limit(n)
                .select(CareProvider::as_select())
                .load(conn)
        },
        |p| (p.name.clone(), p.id),
        Count::of(n, cap),
    )
    .map(Page::ids_only)
}

pub fn provider(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CareProvider>> {
    care_providers::table
        .find(id)
        .select(CareProvider::as_select())
        .first(conn)
        .optional()
}

pub fn provider_by_org(conn: &mut DbConnection, org: &str) -> QueryResult<Option<CareProvider>> {
    care_providers::table
        .filter(care_providers::org_number.eq(org))
        .select(CareProvider::as_select())
        .first(conn)
        .optional()
}

pub fn insert_provider(
    conn: &mut DbConnection,
    name: &str,
    org: &str,
    kind: &str,
    regional_id: bool,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(care_providers::table)
        .values((
            care_providers::name.eq(name),
            care_providers::org_number.eq(org),
            care_providers::kind.eq(kind),
            care_providers::regional_id.eq(regional_id),
            care_providers::approved.eq(true),
            care_providers::created_at.eq(at),
            care_providers::updated_at.eq(at),
        ))
        .execute(conn)?;
    care_providers::table
        .filter(care_providers::org_number.eq(org))
        .select(care_providers::id)
        .first(conn)
}

pub fn set_provider_approved(
    conn: &mut DbConnection,
    id: i64,
    approved: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(care_providers::table.find(id))
        .set((
            care_providers::approved.eq(approved),
            care_providers::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn approved_providers(conn: &mut DbConnection) -> QueryResult<Vec<CareProvider>> {
    care_providers::table
        .filter(care_providers::approved.eq(true))
        .order((care_providers::kind.desc(), care_providers::name.asc()))
        .limit(1000)
        .select(CareProvider::as_select())
        .load(conn)
}
