//! The statistics page's counts (issue 11): one GROUP BY query per table over the whole period,
//! never a query per month, each an index range on an indexed time (`cases_stats_executed`,
//! `cases_stats_linked`, `reviews_due`, `cases_review`) read from a covering index. The median
//! and 90th percentile come from window functions (`ROW_NUMBER` over the month), which both
//! backends have: only the rows at the ranks needed come back (`domain::stats::ranks`).
//!
//! Months are Swedish-time months. How a row finds its month differs per backend, each the
//! plan its planner runs well (checked with EXPLAIN on ten years of data):
//! * SQLite has no time zones: the months are a small table of bounds computed in Rust
//!   (`WITH m(idx, lo, hi) AS (VALUES …)`, UTC instants of Swedish midnights), and
//!   `m CROSS JOIN cases` (SQLite keeps that order) reads one index range per month.
//! * PostgreSQL reads the whole period as one range and finds the month by a binary search
//!   among the months' starts (`width_bucket(t, ARRAY[…])`); joined to a table of months its
//!   planner misjudged the rows per month and compared every row with every month, and
//!   converting each row's time to Swedish time cost more than the search.
//!
//! The SQL is written once with `?` placeholders (numbered `$n` for PostgreSQL).

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
    /// PostgreSQL only: the months' starts, for `width_bucket`.
    Ts(Vec<NaiveDateTime>),
    Ds(Vec<NaiveDate>),
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

    /// Opens a query over the span's months: SQLite's table of month bounds
    /// (`WITH m(idx, lo, hi) AS (VALUES (0, lo, hi), …)`); nothing on PostgreSQL.
    fn with_months(&mut self, span: &Span<'_>, of: Of) -> &mut Sql {
        if self.pg {
            return self;
        }
        self.push("WITH m(idx, lo, hi) AS (VALUES ");
        for i in 0..span.len() {
            if i > 0 {
                self.push(", ");
            }
            let (lo, hi) = span.bounds(i, of);
            self.push("(")
                .bind(Bind::I(i as i64))
                .push(", ")
                .bind(lo)
                .push(", ")
                .bind(hi)
                .push(")");
        }
        self.push(")")
    }

    /// The month (0 = the span's first) of `col`: `m.idx` on SQLite; on PostgreSQL the bucket
    /// among the months' starts (`width_bucket`, a binary search; no time-zone arithmetic per
    /// row, the starts being the UTC instants of Swedish midnights).
    fn month_of(&mut self, col: &str, span: &Span<'_>, of: Of) -> &mut Sql {
        if !self.pg {
            return self.push("m.idx");
        }
        let starts = match of {
            Of::Time => Bind::Ts(span.times.iter().map(|m| m.0).collect()),
            Of::Date => Bind::Ds(span.dates.iter().map(|m| m.0).collect()),
        };
        self.push("CAST(width_bucket(")
            .push(col)
            .push(", ")
            .bind(starts)
            .push(") - 1 AS BIGINT)")
    }

    /// ` FROM <from> WHERE <col> in the span`: per month on SQLite
    /// (`m CROSS JOIN <from> … col >= m.lo AND col < m.hi`), the whole span on PostgreSQL.
    fn span_from(&mut self, from: &str, col: &str, span: &Span<'_>, of: Of) -> &mut Sql {
        if self.pg {
            let (lo, hi) = span.whole(of);
            self.push(" FROM ")
                .push(from)
                .push(" WHERE ")
                .push(col)
                .push(" >= ")
                .bind(lo)
                .push(" AND ")
                .push(col)
                .push(" < ")
                .bind(hi)
        } else {
            self.push(" FROM m CROSS JOIN ")
                .push(from)
                .push(" WHERE ")
                .push(col)
                .push(" >= m.lo AND ")
                .push(col)
                .push(" < m.hi")
        }
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
        use diesel::sql_types::Array;
        match conn {
            DbConnection::Pg(c) => {
                let mut q = diesel::sql_query(self.text()).into_boxed::<diesel::pg::Pg>();
                for b in &self.binds {
                    q = match b {
                        Bind::I(v) => q.bind::<BigInt, _>(*v),
                        Bind::T(v) => q.bind::<Timestamp, _>(*v),
                        Bind::D(v) => q.bind::<Date, _>(*v),
                        Bind::Ts(v) => q.bind::<Array<Timestamp>, _>(v.clone()),
                        Bind::Ds(v) => q.bind::<Array<Date>, _>(v.clone()),
                    };
                }
                q.load::<R>(c)
            }
            DbConnection::Sqlite(c) => {
                let mut q = diesel::sql_query(self.text()).into_boxed::<diesel::sqlite::Sqlite>();
                for b in &self.binds {
                    q = match b {
                        Bind::I(v) => q.bind::<BigInt, _>(*v),
                        Bind::T(v) => q.bind::<Timestamp, _>(*v),
                        Bind::D(v) => q.bind::<Date, _>(*v),
                        // Never written for SQLite (`month_of` uses the months' table there).
                        Bind::Ts(_) | Bind::Ds(_) => {
                            return Err(diesel::result::Error::QueryBuilderError(
                                "an array bound on SQLite".into(),
                            ));
                        }
                    };
                }
                q.load::<R>(c)
            }
        }
    }
}

/// Whether a span is read on a time (UTC) or a date column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Of {
    Time,
    Date,
}

/// The months a query covers, in order: as UTC instants (Swedish midnights) and as dates.
#[derive(Debug, Clone, Copy)]
pub struct Span<'a> {
    pub times: &'a [(NaiveDateTime, NaiveDateTime)],
    pub dates: &'a [(NaiveDate, NaiveDate)],
}

impl Span<'_> {
    fn len(&self) -> usize {
        self.times.len().min(self.dates.len())
    }

    fn bounds(&self, i: usize, of: Of) -> (Bind, Bind) {
        match of {
            Of::Time => (Bind::T(self.times[i].0), Bind::T(self.times[i].1)),
            Of::Date => (Bind::D(self.dates[i].0), Bind::D(self.dates[i].1)),
        }
    }

    /// From the first month's start to the last one's end.
    fn whole(&self, of: Of) -> (Bind, Bind) {
        let last = self.len().saturating_sub(1);
        let (lo, _) = self.bounds(0, of);
        let (_, hi) = self.bounds(last, of);
        (lo, hi)
    }
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
    span: &Span<'_>,
    units: Units<'_>,
) -> QueryResult<Vec<Executed>> {
    if span.len() == 0 {
        return Ok(vec![]);
    }
    let mut q = Sql::new(conn);
    q.with_months(span, Of::Time)
        .push(" SELECT ")
        .month_of("c.executed_at", span, Of::Time)
        .push(
            " AS idx, c.kind AS kind, c.channel AS channel, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN c.returned_count > 0 THEN 1 ELSE 0 END) AS BIGINT) AS returned",
        )
        .span_from("cases c", "c.executed_at", span, Of::Time)
        .units("c.unit_id", units)
        .push(" GROUP BY idx, c.kind, c.channel");
    q.load(conn)
}

/// The rows of a month's ordered durations (seconds from `from` to `to`, two columns of
/// `cases c`) at the ranks `domain::stats::ranks` names, by the month of `to`, for the cases
/// `filter` keeps.
fn ranked(
    conn: &mut DbConnection,
    span: &Span<'_>,
    units: Units<'_>,
    (to, from): (&str, &str),
    filter: &str,
) -> QueryResult<Vec<Ranked>> {
    if span.len() == 0 {
        return Ok(vec![]);
    }
    let mut q = Sql::new(conn);
    q.with_months(span, Of::Time);
    q.push(if q.pg {
        "WITH d AS (SELECT "
    } else {
        ", d AS (SELECT "
    })
    .month_of(to, span, Of::Time)
    .push(" AS idx, ")
    .seconds(to, from)
    .push(" AS secs")
    .span_from("cases c", to, span, Of::Time)
    .push(" AND ")
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
    span: &Span<'_>,
    units: Units<'_>,
) -> QueryResult<Vec<Ranked>> {
    ranked(
        conn,
        span,
        units,
        ("c.executed_at", "c.submitted_at"),
        "c.channel <> 'emergency' AND c.submitted_at IS NOT NULL",
    )
}

/// From an emergency lock (the call) to its written form being linked, per month of linking.
pub fn form_link_times(
    conn: &mut DbConnection,
    span: &Span<'_>,
    units: Units<'_>,
) -> QueryResult<Vec<Ranked>> {
    ranked(
        conn,
        span,
        units,
        ("c.form_linked_at", "c.executed_at"),
        "c.channel = 'emergency' AND c.kind = 'lock' AND c.executed_at IS NOT NULL",
    )
}

/// Locks lifted per month: the first executed unlock that undoes an executed lock (as
/// `domain::locks::lifted_by`), counted in the month it was executed, by the lock's unit.
pub fn lifted(
    conn: &mut DbConnection,
    span: &Span<'_>,
    units: Units<'_>,
) -> QueryResult<Vec<Counted>> {
    if span.len() == 0 {
        return Ok(vec![]);
    }
    let mut q = Sql::new(conn);
    q.with_months(span, Of::Time)
        .push(" SELECT ")
        .month_of("c.executed_at", span, Of::Time)
        .push(" AS idx, COUNT(*) AS n")
        .span_from(
            "cases c JOIN cases l ON l.id = c.related_case_id",
            "c.executed_at",
            span,
            Of::Time,
        )
        .push(" AND c.kind = 'unlock' AND l.kind = 'lock' AND l.executed_at IS NOT NULL")
        .units("l.unit_id", units)
        .push(
            " AND NOT EXISTS (SELECT 1 FROM cases e WHERE e.related_case_id = c.related_case_id \
             AND e.kind = 'unlock' AND e.executed_at IS NOT NULL \
             AND (e.executed_at < c.executed_at OR (e.executed_at = c.executed_at AND e.id < c.id))) \
             GROUP BY idx",
        );
    q.load(conn)
}

/// Settings for the statistics' transaction. PostgreSQL: no JIT (compiling these queries took
/// longer than running them: 0.4 s of 1 s for ten years of lead times) and room to sort a
/// period's durations in memory.
pub fn tune(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Pg(c) = conn {
        c.batch_execute("SET LOCAL jit = off; SET LOCAL work_mem = '32MB';")?;
    }
    Ok(())
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
    span: &Span<'_>,
    units: Units<'_>,
) -> QueryResult<Vec<ReviewsDone>> {
    if span.len() == 0 {
        return Ok(vec![]);
    }
    // The case only for its unit: the region's view reads the reviews' index alone.
    let from = match units {
        Units::All => "reviews r",
        Units::Only(_) => "reviews r JOIN cases c ON c.id = r.case_id",
    };
    let mut q = Sql::new(conn);
    q.with_months(span, Of::Date)
        .push(" SELECT ")
        .month_of("r.due_on", span, Of::Date)
        .push(
            " AS idx, \
             CAST(SUM(CASE WHEN r.decided_on <= r.due_on THEN 1 ELSE 0 END) AS BIGINT) AS on_time, \
             CAST(SUM(CASE WHEN r.decided_on > r.due_on THEN 1 ELSE 0 END) AS BIGINT) AS late",
        )
        .span_from(from, "r.due_on", span, Of::Date)
        .units("c.unit_id", units)
        .push(" GROUP BY idx");
    q.load(conn)
}

/// Reviews overdue and not done, per month of their due date: locks in force whose review date
/// has passed (before `today`) with no review that answered it.
pub fn reviews_overdue(
    conn: &mut DbConnection,
    span: &Span<'_>,
    today: NaiveDate,
    units: Units<'_>,
) -> QueryResult<Vec<Counted>> {
    if span.len() == 0 {
        return Ok(vec![]);
    }
    let mut q = Sql::new(conn);
    q.with_months(span, Of::Date)
        .push(" SELECT ")
        .month_of("c.review_due", span, Of::Date)
        .push(" AS idx, COUNT(*) AS n")
        .span_from("cases c", "c.review_due", span, Of::Date)
        .push(" AND c.kind = 'lock' AND c.review_due < ")
        .bind(Bind::D(today))
        .units("c.unit_id", units)
        .push(
            " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.case_id = c.id \
             AND r.due_on = c.review_due) GROUP BY idx",
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
