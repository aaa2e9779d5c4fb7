//! The statistics page's counts (issue 11): one GROUP BY query per table over the whole period,
//! never a query per month. The months are a small table of bounds the query is given
//! (`WITH m(idx, lo, hi) AS (VALUES …)`, computed in Rust as Swedish-time months in UTC, so no
//! backend's time-zone functions are needed), joined to the cases by a range on an indexed time
//! (`cases_stats_executed`, `cases_stats_linked`, `reviews_due`, `cases_review`): each month is one
//! index range, read from a covering index. The median and 90th percentile come from window
//! functions (`ROW_NUMBER` over the month), which both backends have: only the rows at the ranks
//! needed come back (`domain::stats::ranks`).
//!
//! The SQL is written once with `?` placeholders (numbered `$n` for PostgreSQL); the one
//! difference per backend is a duration in seconds (`EXTRACT(EPOCH …)` / `julianday`).

use super::DbConnection;
use super::schema::cases;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Text, Timestamp};

/// Whose cases a query counts.
#[derive(Debug, Clone, Copy)]
pub enum Units<'a> {
    All,
    /// Cases of these units (none: nothing).
    Only(&'a [i64]),
}

/// A value bound into a query.
#[derive(Debug, Clone)]
enum Bind {
    I(i64),
    T(NaiveDateTime),
    D(NaiveDate),
}

/// A query being written: its text with `?` placeholders and what they stand for.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
    pg: bool,
}

impl Sql {
    fn new(conn: &DbConnection) -> Sql {
        Sql {
            pg: matches!(conn, DbConnection::Pg(_)),
            ..Default::default()
        }
    }

    fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, b: Bind) -> &mut Sql {
        self.text.push('?');
        self.binds.push(b);
        self
    }

    /// `WITH m(idx, lo, hi) AS (VALUES (0, lo, hi), …)`: the months as bounds.
    fn months(&mut self, bounds: &[(Bind, Bind)]) -> &mut Sql {
        self.push("WITH m(idx, lo, hi) AS (VALUES ");
        for (i, (lo, hi)) in bounds.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(")
                .bind(Bind::I(i as i64))
                .push(", ")
                .bind(lo.clone())
                .push(", ")
                .bind(hi.clone())
                .push(")");
        }
        self.push(")")
    }

    /// ` AND <col> IN (…)` for a view of some units (` AND 1 = 0` for none).
    fn units(&mut self, col: &str, units: Units<'_>) -> &mut Sql {
        match units {
            Units::All => self,
            Units::Only([]) => self.push(" AND 1 = 0"),
            Units::Only(ids) => {
                self.push(" AND ").push(col).push(" IN (");
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.bind(Bind::I(*id));
                }
                self.push(")")
            }
        }
    }

    /// Seconds from `from` to `to` (two timestamp columns) as a double.
    fn seconds(&mut self, to: &str, from: &str) -> &mut Sql {
        let e = if self.pg {
            format!("CAST(EXTRACT(EPOCH FROM ({to} - {from})) AS DOUBLE PRECISION)")
        } else {
            format!("((julianday({to}) - julianday({from})) * 86400.0)")
        };
        self.push(&e)
    }

    /// The text for the backend: PostgreSQL numbers its placeholders.
    fn text(&self) -> String {
        if !self.pg {
            return self.text.clone();
        }
        let mut out = String::with_capacity(self.text.len() + self.binds.len() * 3);
        let mut n = 0;
        for ch in self.text.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    }

    fn load<R>(&self, conn: &mut DbConnection) -> QueryResult<Vec<R>>
    where
        R: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        macro_rules! run {
            ($c:expr, $db:ty) => {{
                let mut q = diesel::sql_query(self.text()).into_boxed::<$db>();
                for b in &self.binds {
                    q = match b {
                        Bind::I(v) => q.bind::<BigInt, _>(*v),
                        Bind::T(v) => q.bind::<Timestamp, _>(*v),
                        Bind::D(v) => q.bind::<Date, _>(*v),
                    };
                }
                q.load::<R>($c)
            }};
        }
        match conn {
            DbConnection::Pg(c) => run!(c, diesel::pg::Pg),
            DbConnection::Sqlite(c) => run!(c, diesel::sqlite::Sqlite),
        }
    }
}

fn time_bounds(months: &[(NaiveDateTime, NaiveDateTime)]) -> Vec<(Bind, Bind)> {
    months
        .iter()
        .map(|(lo, hi)| (Bind::T(*lo), Bind::T(*hi)))
        .collect()
}

fn date_bounds(months: &[(NaiveDate, NaiveDate)]) -> Vec<(Bind, Bind)> {
    months
        .iter()
        .map(|(lo, hi)| (Bind::D(*lo), Bind::D(*hi)))
        .collect()
}

/// Cases executed in a month, by kind and channel, and how many of them had been returned for
/// completion at least once.
#[derive(Debug, Clone, QueryableByName)]
pub struct Executed {
    #[diesel(sql_type = BigInt)]
    pub idx: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub returned: i64,
}

/// One value of a month's ordered durations: its rank among the month's `n`.
#[derive(Debug, Clone, QueryableByName)]
pub struct Ranked {
    #[diesel(sql_type = BigInt)]
    pub idx: i64,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub rn: i64,
    #[diesel(sql_type = Double)]
    pub secs: f64,
}

/// A count for a month.
#[derive(Debug, Clone, QueryableByName)]
pub struct Counted {
    #[diesel(sql_type = BigInt)]
    pub idx: i64,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Reviews that fell due in a month and were decided: by the due date, or after it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ReviewsDone {
    #[diesel(sql_type = BigInt)]
    pub idx: i64,
    #[diesel(sql_type = BigInt)]
    pub on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub late: i64,
}

#[derive(Debug, Clone, QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Executed cases (locks and unlocks, by channel) per month of execution. An emergency lock is
/// executed when the call is registered.
pub fn executed(
    conn: &mut DbConnection,
    months: &[(NaiveDateTime, NaiveDateTime)],
    units: Units<'_>,
) -> QueryResult<Vec<Executed>> {
    let mut q = Sql::new(conn);
    q.months(&time_bounds(months))
        .push(
            " SELECT m.idx AS idx, c.kind AS kind, c.channel AS channel, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN c.returned_count > 0 THEN 1 ELSE 0 END) AS BIGINT) AS returned \
             FROM m CROSS JOIN cases c \
             WHERE c.executed_at >= m.lo AND c.executed_at < m.hi",
        )
        .units("c.unit_id", units)
        .push(" GROUP BY m.idx, c.kind, c.channel");
    q.load(conn)
}

/// The rows of a month's ordered durations at the ranks `domain::stats::ranks` names, from
/// `measured` (the cases and the two times, as a FROM … WHERE tail after `m CROSS JOIN cases c`).
fn ranked(
    conn: &mut DbConnection,
    months: &[(NaiveDateTime, NaiveDateTime)],
    units: Units<'_>,
    (to, from): (&str, &str),
    filter: &str,
) -> QueryResult<Vec<Ranked>> {
    let mut q = Sql::new(conn);
    q.months(&time_bounds(months))
        .push(", d AS (SELECT m.idx AS idx, ")
        .seconds(to, from)
        .push(" AS secs FROM m CROSS JOIN cases c WHERE ")
        .push(to)
        .push(" >= m.lo AND ")
        .push(to)
        .push(" < m.hi AND ")
        .push(filter)
        .units("c.unit_id", units)
        .push(
            "), r AS (SELECT idx, secs, \
             ROW_NUMBER() OVER (PARTITION BY idx ORDER BY secs) AS rn, \
             COUNT(*) OVER (PARTITION BY idx) AS n FROM d) \
             SELECT idx, n, rn, secs FROM r \
             WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 OR rn = (9 * n + 9) / 10",
        );
    // To the millisecond: SQLite's julianday arithmetic is off by some microseconds.
    Ok(q.load::<Ranked>(conn)?
        .into_iter()
        .map(|r| Ranked {
            secs: (r.secs * 1000.0).round() / 1000.0,
            ..r
        })
        .collect())
}

/// Lead time from the (latest) submission to the execution, per month of execution: every
/// executed case but the emergency phone's (which is executed on the call).
pub fn lead_times(
    conn: &mut DbConnection,
    months: &[(NaiveDateTime, NaiveDateTime)],
    units: Units<'_>,
) -> QueryResult<Vec<Ranked>> {
    ranked(
        conn,
        months,
        units,
        ("c.executed_at", "c.submitted_at"),
        "c.channel <> 'emergency' AND c.submitted_at IS NOT NULL",
    )
}

/// From an emergency lock (the call) to its written form being linked, per month of linking.
pub fn form_link_times(
    conn: &mut DbConnection,
    months: &[(NaiveDateTime, NaiveDateTime)],
    units: Units<'_>,
) -> QueryResult<Vec<Ranked>> {
    ranked(
        conn,
        months,
        units,
        ("c.form_linked_at", "c.executed_at"),
        "c.form_linked_at IS NOT NULL AND c.channel = 'emergency' AND c.kind = 'lock' \
         AND c.executed_at IS NOT NULL",
    )
}

/// Locks lifted per month: the first executed unlock that undoes an executed lock (as
/// `domain::locks::lifted_by`), counted in the month it was executed, by the lock's unit.
pub fn lifted(
    conn: &mut DbConnection,
    months: &[(NaiveDateTime, NaiveDateTime)],
    units: Units<'_>,
) -> QueryResult<Vec<Counted>> {
    let mut q = Sql::new(conn);
    q.months(&time_bounds(months))
        .push(
            " SELECT m.idx AS idx, COUNT(*) AS n \
             FROM m CROSS JOIN cases c JOIN cases l ON l.id = c.related_case_id \
             WHERE c.executed_at >= m.lo AND c.executed_at < m.hi AND c.kind = 'unlock' \
             AND l.kind = 'lock' AND l.executed_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM cases e WHERE e.related_case_id = c.related_case_id \
             AND e.kind = 'unlock' AND e.executed_at IS NOT NULL \
             AND (e.executed_at < c.executed_at OR (e.executed_at = c.executed_at AND e.id < c.id)))",
        )
        .units("l.unit_id", units)
        .push(" GROUP BY m.idx");
    q.load(conn)
}

/// Locks in force just before `at`: executed before it, and not lifted by an unlock executed
/// before it.
pub fn in_force_at(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    units: Units<'_>,
) -> QueryResult<i64> {
    let mut q = Sql::new(conn);
    q.push("SELECT COUNT(*) AS n FROM cases l WHERE l.kind = 'lock' AND l.executed_at < ")
        .bind(Bind::T(at))
        .units("l.unit_id", units)
        .push(
            " AND NOT EXISTS (SELECT 1 FROM cases u WHERE u.related_case_id = l.id \
             AND u.kind = 'unlock' AND u.executed_at < ",
        )
        .bind(Bind::T(at))
        .push(")");
    Ok(q.load::<Total>(conn)?.first().map_or(0, |t| t.n))
}

/// Reviews decided, per month of their due date: on time (decided on or before the due date,
/// in Swedish dates) or late.
pub fn reviews_done(
    conn: &mut DbConnection,
    months: &[(NaiveDate, NaiveDate)],
    units: Units<'_>,
) -> QueryResult<Vec<ReviewsDone>> {
    let mut q = Sql::new(conn);
    q.months(&date_bounds(months))
        .push(
            " SELECT m.idx AS idx, \
             CAST(SUM(CASE WHEN r.decided_on <= r.due_on THEN 1 ELSE 0 END) AS BIGINT) AS on_time, \
             CAST(SUM(CASE WHEN r.decided_on > r.due_on THEN 1 ELSE 0 END) AS BIGINT) AS late \
             FROM m CROSS JOIN reviews r JOIN cases c ON c.id = r.case_id \
             WHERE r.due_on >= m.lo AND r.due_on < m.hi",
        )
        .units("c.unit_id", units)
        .push(" GROUP BY m.idx");
    q.load(conn)
}

/// Reviews overdue and not done, per month of their due date: locks in force whose review date
/// has passed (before `today`) with no review that answered it.
pub fn reviews_overdue(
    conn: &mut DbConnection,
    months: &[(NaiveDate, NaiveDate)],
    today: NaiveDate,
    units: Units<'_>,
) -> QueryResult<Vec<Counted>> {
    let mut q = Sql::new(conn);
    q.months(&date_bounds(months))
        .push(
            " SELECT m.idx AS idx, COUNT(*) AS n FROM m CROSS JOIN cases c \
             WHERE c.review_due >= m.lo AND c.review_due < m.hi AND c.kind = 'lock' \
             AND c.review_due < ",
        )
        .bind(Bind::D(today))
        .units("c.unit_id", units)
        .push(
            " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id \
             AND r.due_on = c.review_due) GROUP BY m.idx",
        );
    q.load(conn)
}

/// Counts one more return for completion of the case (in the return's transaction).
pub fn count_return(conn: &mut DbConnection, case_id: i64) -> QueryResult<()> {
    diesel::update(cases::table.find(case_id))
        .set(cases::returned_count.eq(cases::returned_count + 1))
        .execute(conn)
        .map(|_| ())
}

/// How many times the case was returned for completion.
pub fn returned_count(conn: &mut DbConnection, case_id: i64) -> QueryResult<i32> {
    cases::table
        .find(case_id)
        .select(cases::returned_count)
        .first(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgresql() {
        let mut q = Sql {
            pg: true,
            ..Default::default()
        };
        q.push("SELECT ")
            .bind(Bind::I(1))
            .push(", ")
            .bind(Bind::I(2))
            .units("u", Units::Only(&[7, 8]));
        assert_eq!(q.text(), "SELECT $1, $2 AND u IN ($3, $4)");
        q.pg = false;
        assert_eq!(q.text(), "SELECT ?, ? AND u IN (?, ?)");
        let mut none = Sql::default();
        none.units("u", Units::Only(&[]));
        assert_eq!(none.text(), " AND 1 = 0");
    }
}
