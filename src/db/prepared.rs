//! Hand-written statements that diesel prepares once per connection and keeps.
//!
//! diesel caches a prepared statement only when the query's type says its SQL never changes; a
//! `sql_query` is prepared again on every call, which on PostgreSQL is a round trip of its own
//! (parse, then execute) and a new plan. The two hand-written statements every request runs — the
//! principal's roles and units, and on PostgreSQL the access-log entry with its subjects — are
//! therefore types of their own here, with a fixed SQL text and a static query id.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

/// A user's roles (`'r'`, 0, role code, `''`) and units (`'u'`, id, code, name), in one
/// `UNION ALL` (diesel's UNION is not offered over the two-backend connection).
#[derive(Debug, Clone, Copy)]
pub struct RolesAndUnits {
    pub user_id: i64,
}

impl QueryId for RolesAndUnits {
    type QueryId = RolesAndUnits;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB: Backend> QueryFragment<DB> for RolesAndUnits
where
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "SELECT 'r' AS kind, CAST(0 AS BIGINT) AS id, role AS code, '' AS name \
             FROM user_roles WHERE user_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.user_id)?;
        out.push_sql(
            " UNION ALL SELECT 'u', u.id, u.code, u.name FROM user_units uu \
             JOIN units u ON u.id = uu.unit_id WHERE uu.user_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.user_id)?;
        Ok(())
    }
}

impl Query for RolesAndUnits {
    type SqlType = (Text, BigInt, Text, Text);
}

impl<C> RunQueryDsl<C> for RolesAndUnits {}

/// PostgreSQL: an access-log entry and its subject rows (one array parameter) in one statement,
/// a data-modifying `WITH`; returns the entry's id.
pub struct AppendEntryPg<'a> {
    pub at: NaiveDateTime,
    /// user_hsa_id, role, unit_code (in that order).
    pub who: [&'a Option<String>; 3],
    pub action: &'a str,
    /// object, personnummer, client_addr (in that order).
    pub what: [&'a Option<String>; 3],
    pub detail: Option<&'a str>,
    pub subjects: &'a [&'a str],
}

/// The query id of [`AppendEntryPg`] (a type without its lifetime).
pub struct AppendEntryPgId;

impl QueryId for AppendEntryPg<'_> {
    type QueryId = AppendEntryPgId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for AppendEntryPg<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH e AS (INSERT INTO access_log (at, user_hsa_id, role, unit_code, action, object, \
             personnummer, client_addr, detail) VALUES (",
        );
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        for v in self.who {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(v)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.action)?;
        for v in self.what {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(v)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.detail)?;
        out.push_sql(
            ") RETURNING id), s AS (INSERT INTO access_log_subjects (entry_id, personnummer) \
             SELECT e.id, p FROM e, unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(self.subjects)?;
        out.push_sql("::text[]) AS p) SELECT id FROM e");
        Ok(())
    }
}

impl Query for AppendEntryPg<'_> {
    type SqlType = BigInt;
}

impl RunQueryDsl<PgConnection> for AppendEntryPg<'_> {}
