//! The review list ("Omprövningar"): locks with a review date of some units, by due date, a page
//! at a time by key, optionally only the overdue ones or those due soon.

use super::DbConnection;
use super::cases::{BoxedCases, remembered_count};
use super::models::CaseSummary;
use super::page::{self, Count, Cursor, Page};
use super::schema::cases;
use diesel::prelude::*;

/// Which reviews a list shows, by their due date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DueFilter {
    #[default]
    All,
    /// Due before this day (overdue on it).
    Before(chrono::NaiveDate),
    /// Due from the first day to the second, both included.
    Between(chrono::NaiveDate, chrono::NaiveDate),
}

/// Locks with a review date of these units, as `due` selects them. Only executed locks have a
/// review date (an executed unlock clears its lock's), so the date alone selects them and the
/// (unit_id, review_due, id) index serves the query.
fn reviews_of<'a>(unit_ids: &'a [i64], due: DueFilter) -> BoxedCases<'a> {
    let q = cases::table
        .filter(cases::review_due.is_not_null())
        .filter(cases::unit_id.eq_any(unit_ids))
        .into_boxed();
    match due {
        DueFilter::All => q,
        DueFilter::Before(d) => q.filter(cases::review_due.lt(d)),
        DueFilter::Between(a, b) => q
            .filter(cases::review_due.ge(a))
            .filter(cases::review_due.le(b)),
    }
}

/// How many reviews of these units `due` selects, up to `cap + 1`.
pub fn reviews_count(
    conn: &mut DbConnection,
    unit_ids: &[i64],
    due: DueFilter,
    cap: i64,
) -> QueryResult<Count> {
    remembered_count(
        conn,
        || format!("reviews {unit_ids:?} {due:?} {cap}"),
        reviews_of(unit_ids, due),
        cap,
    )
}

/// A page of locks with a review date, for some units, by due date (and id), by key. The count
/// is the caller's ([`reviews_count`], as for [`super::cases::page_for_units`]).
pub fn reviews_page(
    conn: &mut DbConnection,
    unit_ids: &[i64],
    due: DueFilter,
    ascending: bool,
    cursor: &Cursor<chrono::NaiveDate>,
    limit: i64,
    count: Count,
) -> QueryResult<Page<CaseSummary, chrono::NaiveDate>> {
    let base = || reviews_of(unit_ids, due);
    let due = cases::review_due.assume_not_null();
    page::fetch(
        cursor,
        limit,
        |c, n| {
            let q = base();
            let q = if ascending {
                crate::keyset!(q, c, due, cases::id, asc)
            } else {
                crate::keyset!(q, c, due, cases::id, desc)
            };
            q.limit(n).select(CaseSummary::as_select()).load(conn)
        },
        |r| (r.review_due.unwrap_or_default(), r.id),
        count,
    )
}
