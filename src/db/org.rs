//! Units and approved private care providers.

use super::DbConnection;
use super::models::{CareProvider, Unit};
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

pub fn all_units(conn: &mut DbConnection) -> QueryResult<Vec<Unit>> {
    units::table
        .order(units::name.asc())
        .select(Unit::as_select())
        .load(conn)
}

pub fn units_page(
    conn: &mut DbConnection,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Unit>, i64)> {
    let total = units::table.count().get_result(conn)?;
    let rows = units::table
        .order((units::name.asc(), units::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(Unit::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn unit(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Unit>> {
    units::table
        .find(id)
        .select(Unit::as_select())
        .first(conn)
        .optional()
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
    diesel::insert_into(units::table)
        .values((d, units::created_at.eq(at)))
        .execute(conn)?;
    units::table
        .filter(units::code.eq(d.code))
        .select(units::id)
        .first(conn)
}

pub fn update_unit(conn: &mut DbConnection, id: i64, d: &UnitData<'_>) -> QueryResult<()> {
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

pub fn providers_page(
    conn: &mut DbConnection,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<CareProvider>, i64)> {
    let total = care_providers::table.count().get_result(conn)?;
    let rows = care_providers::table
        .order((care_providers::name.asc(), care_providers::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(CareProvider::as_select())
        .load(conn)?;
    Ok((rows, total))
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
