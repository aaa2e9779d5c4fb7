//! Reminders sent (one row per case and key) and review decisions.

use super::DbConnection;
use super::schema::{reminders, reviews};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Records a reminder; false when it was already recorded (by this or another instance). On
/// PostgreSQL a concurrent insert of the same key waits for the other transaction and then does
/// nothing; SQLite has one writer.
pub fn record_once(
    conn: &mut DbConnection,
    case_id: i64,
    key: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let values = (
        reminders::case_id.eq(case_id),
        reminders::key.eq(key),
        reminders::created_at.eq(at),
    );
    let n = match conn {
        DbConnection::Pg(pg) => diesel::insert_into(reminders::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(sq) => diesel::insert_or_ignore_into(reminders::table)
            .values(values)
            .execute(sq)?,
    };
    Ok(n == 1)
}

pub fn keys_for(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<String>> {
    reminders::table
        .filter(reminders::case_id.eq(case_id))
        .order(reminders::id.asc())
        .select(reminders::key)
        .load(conn)
}

pub struct NewReview<'a> {
    pub case_id: i64,
    pub decided_at: NaiveDateTime,
    pub user_id: i64,
    pub outcome: &'a str,
    pub patient_informed_date: Option<NaiveDate>,
    pub patient_not_informed_reason: &'a str,
    pub note: &'a str,
    pub next_review: Option<NaiveDate>,
    /// The lock's review date this review answers (its `review_due` when decided).
    pub due_on: Option<NaiveDate>,
    /// The Swedish date of the decision.
    pub decided_on: NaiveDate,
}

pub fn insert_review(conn: &mut DbConnection, r: &NewReview<'_>) -> QueryResult<()> {
    diesel::insert_into(reviews::table)
        .values((
            reviews::case_id.eq(r.case_id),
            reviews::decided_at.eq(r.decided_at),
            reviews::user_id.eq(r.user_id),
            reviews::outcome.eq(r.outcome),
            reviews::patient_informed_date.eq(r.patient_informed_date),
            reviews::patient_not_informed_reason.eq(r.patient_not_informed_reason),
            reviews::note.eq(r.note),
            reviews::next_review.eq(r.next_review),
            reviews::due_on.eq(r.due_on),
            reviews::decided_on.eq(Some(r.decided_on)),
        ))
        .execute(conn)
        .map(|_| ())
}
