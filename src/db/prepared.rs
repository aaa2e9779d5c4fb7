//! Hand-written statements that diesel prepares once per connection and keeps.
//!
//! diesel caches a prepared statement only when the query's type says its SQL never changes; a
//! `sql_query` (or a query with a `dsl::sql` literal in it) is prepared again on every call, which
//! on PostgreSQL is a round trip of its own (parse, then execute) and a new plan. The hand-written
//! SQL every request runs — the principal's roles and units (with the session), and on PostgreSQL
//! the access-log entry with its subjects — is therefore types of their own here, with a fixed
//! SQL text and a static query id.

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

/// SQLite: the access log's head moved to the entry just appended, if it is still where the
/// append read it (`last_seq`). diesel never keeps an UPDATE prepared; this one runs with every
/// entry, inside SQLite's one write transaction (bench/http, `perf`: its prepare was a
/// twentieth of a list view's).
pub struct MoveHeadSqlite<'a> {
    pub seq: i64,
    pub hash: &'a str,
    pub last_seq: i64,
}

/// The query id of [`MoveHeadSqlite`] (a type without its lifetime).
pub struct MoveHeadSqliteId;

impl QueryId for MoveHeadSqlite<'_> {
    type QueryId = MoveHeadSqliteId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<diesel::sqlite::Sqlite> for MoveHeadSqlite<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        out.push_sql("UPDATE access_log_head SET last_seq = ");
        out.push_bind_param::<BigInt, _>(&self.seq)?;
        out.push_sql(", last_hash = ");
        out.push_bind_param::<Text, _>(self.hash)?;
        out.push_sql(" WHERE id = 1 AND last_seq = ");
        out.push_bind_param::<BigInt, _>(&self.last_seq)?;
        Ok(())
    }
}

impl RunQueryDsl<diesel::SqliteConnection> for MoveHeadSqlite<'_> {}

/// `column IN (?, ?, …)`, which diesel may keep prepared: its SQL text depends only on the
/// list's length, padded to a power of two (a user's units, the users, citizens and cases of an
/// auditor's page of entries: a few lengths each). diesel's
/// `eq_any` spells the same SQL on SQLite but marks it never to be kept, so the case list's page
/// query was prepared again on every view, inside SQLite's one write transaction (bench/http,
/// `perf`). An empty list matches nothing.
#[derive(Debug, Clone, Copy)]
pub struct InList<'a, C, T> {
    pub column: C,
    pub values: &'a [T],
}

/// The column's `IN` list, for a query's filter.
pub fn in_list<C, T>(column: C, values: &[T]) -> InList<'_, C, T> {
    InList { column, values }
}

impl<C, T> diesel::Expression for InList<'_, C, T> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C: diesel::AppearsOnTable<QS>, T, QS> diesel::AppearsOnTable<QS> for InList<'_, C, T> {}

impl<C: diesel::SelectableExpression<QS>, T, QS> diesel::SelectableExpression<QS>
    for InList<'_, C, T>
{
}

impl<C, T> diesel::expression::ValidGrouping<()> for InList<'_, C, T> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<C, T> QueryId for InList<'_, C, T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, T, DB> QueryFragment<DB> for InList<'_, C, T>
where
    DB: Backend + diesel::sql_types::HasSqlType<C::SqlType>,
    C: QueryFragment<DB> + diesel::Expression,
    T: ToSql<C::SqlType, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if self.values.is_empty() {
            out.push_sql("1 = 0");
            return Ok(());
        }
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        // The list is padded to a power of two by repeating its last value (the same set), so
        // that lists of any length share a few statements: up to 2^k values, k + 1 of them.
        let n = self.values.len();
        let last = &self.values[n - 1];
        for i in 0..n.next_power_of_two() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<C::SqlType, T>(self.values.get(i).unwrap_or(last))?;
        }
        out.push_sql(")");
        Ok(())
    }
}

/// A fixed piece of SQL as a condition, which diesel may keep prepared (its `sql` literal is
/// never kept): for predicates that must be spelt as a partial index spells them.
#[derive(Debug, Clone, Copy)]
pub struct FixedCondition(pub &'static str);

impl diesel::Expression for FixedCondition {
    type SqlType = diesel::sql_types::Bool;
}

impl<QS> diesel::AppearsOnTable<QS> for FixedCondition {}

impl<QS> diesel::SelectableExpression<QS> for FixedCondition {}

impl diesel::expression::ValidGrouping<()> for FixedCondition {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for FixedCondition {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> QueryFragment<DB> for FixedCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

/// The session's user's role codes, comma-separated (NULL when none): a column of the session's
/// statement (`sessions::find_principal`), aggregated by `group_concat` on SQLite and
/// `string_agg` on PostgreSQL.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct SessionRolesCsv;

/// The session's user's unit ids, comma-separated (NULL when none); as [`SessionRolesCsv`].
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct SessionUnitIdsCsv;

macro_rules! session_list {
    ($t:ty, $sqlite:literal, $pg:literal) => {
        impl diesel::expression::Expression for $t {
            type SqlType = Nullable<Text>;
        }
        impl<QS> diesel::expression::AppearsOnTable<QS> for $t {}
        impl<QS> diesel::expression::SelectableExpression<QS> for $t {}
        impl<GB> diesel::expression::ValidGrouping<GB> for $t {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
        impl QueryFragment<diesel::sqlite::Sqlite> for $t {
            fn walk_ast<'b>(
                &'b self,
                mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>,
            ) -> QueryResult<()> {
                out.push_sql($sqlite);
                Ok(())
            }
        }
        impl QueryFragment<Pg> for $t {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                out.push_sql($pg);
                Ok(())
            }
        }
    };
}

session_list!(
    SessionRolesCsv,
    "(SELECT group_concat(role, ',') FROM user_roles \
     WHERE user_roles.user_id = \"sessions\".\"user_id\")",
    "(SELECT string_agg(role, ',') FROM user_roles \
     WHERE user_roles.user_id = \"sessions\".\"user_id\")"
);
session_list!(
    SessionUnitIdsCsv,
    "(SELECT group_concat(CAST(unit_id AS TEXT), ',') FROM user_units \
     WHERE user_units.user_id = \"sessions\".\"user_id\")",
    "(SELECT string_agg(CAST(unit_id AS TEXT), ',') FROM user_units \
     WHERE user_units.user_id = \"sessions\".\"user_id\")"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::cases;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    fn kept<Q: QueryFragment<Sqlite>>(q: &Q) -> bool {
        q.is_safe_to_cache_prepared(&Sqlite).unwrap_or(false)
    }

    /// The point of these fragments: diesel keeps their statements prepared (`eq_any` and `sql`
    /// are never kept), with the same SQL text as before.
    #[test]
    fn in_lists_and_fixed_conditions_are_kept_prepared() {
        let ids = [3_i64, 5];
        let q = cases::table
            .filter(in_list(cases::unit_id, &ids))
            .filter(FixedCondition("status <> 'draft'"))
            .select(cases::id);
        let sql = diesel::debug_query::<Sqlite, _>(&q).to_string();
        assert!(
            sql.contains("`cases`.`unit_id` IN (?, ?)") && sql.contains("status <> 'draft'"),
            "{sql}"
        );
        assert!(kept(&q));
        // Three values are padded to four with the last, and spell what four values spell.
        let spelt = |ids: &[i64]| {
            diesel::debug_query::<Sqlite, _>(&cases::table.filter(in_list(cases::id, ids)))
                .to_string()
        };
        let three = spelt(&[1, 2, 3]);
        assert!(three.contains("IN (?, ?, ?, ?)"), "{three}");
        assert!(three.ends_with("[1, 2, 3, 3]"), "{three}");
        let four = spelt(&[1, 2, 3, 4]);
        assert_eq!(three.split(" -- ").next(), four.split(" -- ").next());
        let diesels = cases::table
            .filter(cases::unit_id.eq_any(&ids))
            .select(cases::id);
        assert!(!kept(&diesels), "diesel's own IN list is never kept");
        let none = cases::table
            .filter(in_list(cases::unit_id, &[] as &[i64]))
            .select(cases::id);
        let sql = diesel::debug_query::<Sqlite, _>(&none).to_string();
        assert!(sql.contains("1 = 0"), "{sql}");
        let head = MoveHeadSqlite {
            seq: 2,
            hash: "h",
            last_seq: 1,
        };
        assert!(kept(&head));
        const { assert!(<MoveHeadSqlite<'_> as QueryId>::HAS_STATIC_QUERY_ID) };
    }
}

/// What the case page shows besides the case row, in one `UNION ALL`: its timeline (`'e'`, at most
/// 1 000), checklist (`'c'`), attachments (`'a'`, at most 100) and mail deliveries (`'o'`, at most
/// 50). Read as three statements (the timeline, the checklist, the files with the deliveries)
/// they were three of the page's nine round trips on PostgreSQL; as one, the page served 6 % more
/// views a second with 86 µs less CPU per view, the server's and PostgreSQL's together, and on
/// SQLite no change outside the noise (bench/http, 2026-12-05, two rounds each way). The columns are
/// shared between the kinds:
///
/// | column | event | check | attachment | delivery |
/// |---|---|---|---|---|
/// | id | id | 0 | id | id |
/// | t1 | actor_name | item | filename | kind |
/// | t2 | action | done_by_name | sha256 | recipient |
/// | t3 | detail | note | storage_key | status |
/// | t4 | `''` | `''` | `''` | last_error |
/// | n1 | 0 | done_by_user_id | size_bytes | attempts |
/// | n2 | user_id | NULL | uploaded_by_user_id | NULL |
/// | b | FALSE | FALSE | FALSE | encrypted |
/// | ts1 | NULL | NULL | NULL | sent_at |
/// | ts2 | at | done_at | uploaded_at | created_at |
/// | o1 | detail_msg | NULL | NULL | NULL |
#[derive(Debug, Clone, Copy)]
pub struct CaseParts {
    pub case_id: i64,
}

impl QueryId for CaseParts {
    type QueryId = CaseParts;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB: Backend> QueryFragment<DB> for CaseParts
where
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "SELECT * FROM (SELECT 'e' AS src, id, actor_name AS t1, action AS t2, detail AS t3, \
             '' AS t4, CAST(0 AS BIGINT) AS n1, user_id AS n2, FALSE AS b, \
             CAST(NULL AS TIMESTAMP) AS ts1, at AS ts2, detail_msg AS o1 \
             FROM case_events WHERE case_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.case_id)?;
        out.push_sql(
            " ORDER BY id LIMIT 1000) e UNION ALL SELECT * FROM (SELECT 'c', CAST(0 AS BIGINT), \
             item, done_by_name, note, '', done_by_user_id, CAST(NULL AS BIGINT), FALSE, \
             CAST(NULL AS TIMESTAMP), done_at, CAST(NULL AS TEXT) \
             FROM case_checks WHERE case_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.case_id)?;
        out.push_sql(
            ") c UNION ALL SELECT * FROM (SELECT 'a', id, filename, sha256, storage_key, '', \
             size_bytes, uploaded_by_user_id, FALSE, CAST(NULL AS TIMESTAMP), uploaded_at, \
             CAST(NULL AS TEXT) FROM attachments WHERE case_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.case_id)?;
        out.push_sql(
            " ORDER BY id LIMIT 100) a UNION ALL SELECT * FROM (SELECT 'o', id, kind, recipient, \
             status, last_error, CAST(attempts AS BIGINT), CAST(NULL AS BIGINT), encrypted, \
             sent_at, created_at, CAST(NULL AS TEXT) FROM outbox WHERE case_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.case_id)?;
        out.push_sql(" ORDER BY id LIMIT 50) o");
        Ok(())
    }
}

/// A row of [`CaseParts`].
pub type CasePartsRow = (
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    bool,
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<String>,
);

impl Query for CaseParts {
    type SqlType = (
        Text,
        BigInt,
        Text,
        Text,
        Text,
        Text,
        BigInt,
        Nullable<BigInt>,
        diesel::sql_types::Bool,
        Nullable<Timestamp>,
        Timestamp,
        Nullable<Text>,
    );
}

impl<C> RunQueryDsl<C> for CaseParts {}
