//! Cases, their timeline, checklist and diary numbers.

use super::DbConnection;
use super::models::{CaseCheck, CaseEvent, CaseRow, CaseSummary};
use super::page::{self, Count, CountOf, Cursor, Page};
use super::prepared::in_list;
use super::schema::{case_checks, case_events, cases, diary_counters};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConnection, row: &CaseRow) -> QueryResult<i64> {
    diesel::insert_into(cases::table)
        .values(row)
        .execute(conn)?;
    // The newest case this user created at this instant: ids only grow.
    cases::table
        .filter(cases::created_at.eq(row.created_at))
        .filter(cases::citizen_pnr.eq(&row.citizen_pnr))
        .order(cases::id.desc())
        .select(cases::id)
        .first(conn)
}

pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CaseRow>> {
    on_backend!(conn, |c| cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(c)
        .optional())
}

/// Saves the row if nobody changed it since `expected_version` was read; bumps the version.
/// Returns false on a lost race (the caller reports what changed).
/// Moves a case's version on (a step recorded elsewhere, such as a review); false when someone
/// changed it since `expected_version`.
pub fn touch(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i32,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        cases::table
            .filter(cases::id.eq(id))
            .filter(cases::version.eq(expected_version)),
    )
    .set((
        cases::version.eq(expected_version + 1),
        cases::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn save(conn: &mut DbConnection, row: &CaseRow, expected_version: i32) -> QueryResult<bool> {
    let mut next = row.clone();
    next.version = expected_version + 1;
    let n = diesel::update(
        cases::table
            .filter(cases::id.eq(row.id))
            .filter(cases::version.eq(expected_version)),
    )
    .set(&next)
    .execute(conn)?;
    Ok(n == 1)
}

/// Whose cases a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// These units' cases (clinicians, managers, chief physicians).
    Units(&'a [i64]),
    /// Every unit's cases except other units' drafts (handlers: a draft is its unit's own work
    /// until it is submitted). The slice is the handler's own units.
    Handler(&'a [i64]),
    /// The chefläkare's (SPEC §1): these units' lock decisions once sent — never a draft or an
    /// unlock.
    ChiefPhysician(&'a [i64]),
}

/// The filters of the case list; each has an index that begins with it and ends with the sort
/// key (`updated_at`, `id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub unit_id: Option<i64>,
    /// Last changed at or after.
    pub from: Option<NaiveDateTime>,
    /// Last changed before.
    pub until: Option<NaiveDateTime>,
    /// Signed by a decider in the system (`Some(true)`) or not yet (`Some(false)`).
    pub signed: Option<bool>,
    /// Decided on or after this day (the decision's date, `decided_on`).
    pub decided_from: Option<chrono::NaiveDate>,
    /// Decided on or before this day.
    pub decided_until: Option<chrono::NaiveDate>,
}

pub(crate) type BoxedCases<'a> = cases::BoxedQuery<'a, <DbConnection as Connection>::Backend>;

fn scoped<'a>(scope: Scope<'a>, f: &'a CaseFilter) -> BoxedCases<'a> {
    let mut q = cases::table.into_boxed();
    match scope {
        Scope::Units(u) => q = q.filter(in_list(cases::unit_id, u)),
        // Every case but a draft is the handler's, drafts only of the handler's own units. With a
        // status chosen the condition is one side of the OR, so that PostgreSQL counts and pages
        // a status from its (status, updated_at, id) index alone: with the OR it read each row
        // of the status from the table to check a condition always true (bench/http: the
        // filtered list's count read 200 table rows per view).
        Scope::Handler(own) => match f.status.as_deref() {
            Some("draft") => q = q.filter(in_list(cases::unit_id, own)),
            Some(_) => {}
            None => {
                q = q.filter(cases::status.ne("draft").or(in_list(cases::unit_id, own)));
            }
        },
        Scope::ChiefPhysician(u) => {
            q = q
                .filter(in_list(cases::unit_id, u))
                .filter(cases::kind.eq("lock"))
                .filter(cases::status.ne("draft"))
                .filter(cases::submitted_at.is_not_null());
        }
    }
    if let Some(s) = &f.status {
        q = q.filter(cases::status.eq(s));
    }
    if let Some(k) = &f.kind {
        q = q.filter(cases::kind.eq(k));
    }
    if let Some(c) = &f.channel {
        q = q.filter(cases::channel.eq(c));
    }
    if let Some(u) = f.unit_id {
        q = q.filter(cases::unit_id.eq(u));
    }
    if let Some(t) = f.from {
        q = q.filter(cases::updated_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(cases::updated_at.lt(t));
    }
    match f.signed {
        Some(true) => q = q.filter(cases::decider_user_id.is_not_null()),
        Some(false) => q = q.filter(cases::decider_user_id.is_null()),
        None => {}
    }
    if let Some(d) = f.decided_from {
        q = q.filter(cases::decided_on.ge(d));
    }
    if let Some(d) = f.decided_until {
        q = q.filter(cases::decided_on.le(d));
    }
    q
}

/// How many cases the case list with this scope and filter shows, up to `cap + 1`.
pub fn count_for_units(
    conn: &mut DbConnection,
    scope: Scope<'_>,
    filter: &CaseFilter,
    cap: i64,
) -> QueryResult<Count> {
    remembered_count(
        conn,
        || format!("cases {scope:?} {filter:?} {cap}"),
        scoped(scope, filter),
        cap,
    )
}

/// Counts a query's rows up to `cap + 1` (`SELECT COUNT(*) FROM (… LIMIT cap+1)`).
pub(crate) fn capped_count(
    conn: &mut DbConnection,
    q: BoxedCases<'_>,
    cap: i64,
) -> QueryResult<Count> {
    Ok(Count::of(rows_up_to(conn, q, cap)?, cap))
}

/// The query's rows counted with a limit of `cap + 1`.
fn rows_up_to(conn: &mut DbConnection, q: BoxedCases<'_>, cap: i64) -> QueryResult<i64> {
    CountOf(q.select(cases::id).limit(cap + 1)).get_result(conn)
}

/// [`capped_count`] for a list page: "more than `cap`" from this node's count cache when the
/// same query (`key`: its whole scope and filter, no citizen) counted above it a moment ago
/// ([`super::count_cache`]).
pub(crate) fn remembered_count(
    conn: &mut DbConnection,
    key: impl FnOnce() -> String,
    q: BoxedCases<'_>,
    cap: i64,
) -> QueryResult<Count> {
    super::count_cache::count(key, cap, || rows_up_to(conn, q, cap))
}

/// A page of the case list, newest change first, by key (`updated_at`, `id`). The count
/// ([`count_for_units`]) is the caller's: read before the page's write transaction, it does not
/// hold SQLite's writer while it counts; it names no citizen, so it needs no log entry.
pub fn page_for_units(
    conn: &mut DbConnection,
    scope: Scope<'_>,
    filter: &CaseFilter,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
    count: Count,
) -> QueryResult<Page<CaseSummary, NaiveDateTime>> {
    page::fetch(
        cursor,
        limit,
        |c, n| {
            let q = scoped(scope, filter);
            crate::keyset!(q, c, cases::updated_at, cases::id, desc)
                .limit(n)
                .select(CaseSummary::as_select())
                .load(conn)
        },
        |r| (r.updated_at, r.id),
        count,
    )
}

/// Up to `limit` rows of the case list after `cursor` (same scope, filter and order as
/// [`page_for_units`], without counting): the chunks of a CSV export.
pub fn rows_for_units(
    conn: &mut DbConnection,
    scope: Scope<'_>,
    filter: &CaseFilter,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<CaseRow>> {
    let q = scoped(scope, filter);
    crate::keyset!(q, cursor, cases::updated_at, cases::id, desc)
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)
}

/// The statuses of the handler's queue, as the literal SQL of the partial index
/// `cases_queue_open` (the query must spell the same predicate for the index to serve it).
pub const QUEUE_STATUSES: &str = "status IN ('submitted', 'received', 'verified', 'form_pending')";

/// A selection of the handler's queue: one of its statuses, and submitted at or before a time
/// (waited at least so long).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub status: Option<crate::domain::case::Status>,
    pub submitted_by: Option<NaiveDateTime>,
}

/// The open cases of the queue (the partial index `cases_queue_open`) with the filter.
fn open_cases(f: &QueueFilter) -> BoxedCases<'static> {
    let mut q = cases::table
        .filter(super::prepared::FixedCondition(QUEUE_STATUSES))
        .into_boxed();
    if let Some(s) = f.status {
        q = q.filter(cases::status.eq(s.code()));
    }
    if let Some(t) = f.submitted_by {
        q = q.filter(cases::submitted_at.le(t));
    }
    q
}

/// How many cases of the queue the filter selects, up to `cap + 1`.
pub fn queue_count(conn: &mut DbConnection, filter: &QueueFilter, cap: i64) -> QueryResult<Count> {
    remembered_count(
        conn,
        || format!("queue {filter:?} {cap}"),
        open_cases(filter),
        cap,
    )
}

/// The handler's queue: new, received and verified cases and emergency locks waiting for their
/// form, oldest submission first, by key (`submitted_at`, `id`; every case in these statuses has
/// been submitted). The count is the caller's ([`queue_count`], as for [`page_for_units`]).
pub fn queue(
    conn: &mut DbConnection,
    filter: &QueueFilter,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
    count: Count,
) -> QueryResult<Page<CaseSummary, NaiveDateTime>> {
    let open = || open_cases(filter);
    let submitted = cases::submitted_at.assume_not_null();
    page::fetch(
        cursor,
        limit,
        |c, n| {
            let q = open();
            crate::keyset!(q, c, submitted, cases::id, asc)
                .limit(n)
                .select(CaseSummary::as_select())
                .load(conn)
        },
        |r| (r.submitted_at.unwrap_or(r.created_at), r.id),
        count,
    )
}

/// How many of one citizen's cases the scope shows, up to `cap + 1`.
pub fn count_for_citizen(
    conn: &mut DbConnection,
    pnr: &str,
    scope: Scope<'_>,
    cap: i64,
) -> QueryResult<Count> {
    let none = CaseFilter::default();
    capped_count(
        conn,
        scoped(scope, &none).filter(cases::citizen_pnr.eq(pnr)),
        cap,
    )
}

/// A page of one citizen's cases, newest first, by id. The count is the caller's
/// ([`count_for_citizen`]).
pub fn page_for_citizen(
    conn: &mut DbConnection,
    pnr: &str,
    scope: Scope<'_>,
    cursor: &Cursor<()>,
    limit: i64,
    count: Count,
) -> QueryResult<Page<CaseSummary, ()>> {
    let none = CaseFilter::default();
    let base = || scoped(scope, &none).filter(cases::citizen_pnr.eq(pnr));
    page::fetch(
        cursor,
        limit,
        |c, n| {
            let q = base();
            let q = match c {
                Cursor::First => q.order(cases::id.desc()),
                Cursor::After(_, i) => q.filter(cases::id.lt(*i)).order(cases::id.desc()),
                Cursor::Before(_, i) => q.filter(cases::id.gt(*i)).order(cases::id.asc()),
            };
            q.limit(n).select(CaseSummary::as_select()).load(conn)
        },
        |r| ((), r.id),
        count,
    )
}

/// The case with this diary number's year and sequence, if the scope shows it.
pub fn by_diary_seq(
    conn: &mut DbConnection,
    year: i32,
    seq: i64,
    scope: Scope<'_>,
) -> QueryResult<Option<CaseRow>> {
    let none = CaseFilter::default();
    scoped(scope, &none)
        .filter(cases::diary_year.eq(year))
        .filter(cases::diary_seq.eq(seq))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// The case with this number (id), if the scope shows it.
pub fn by_id_in(
    conn: &mut DbConnection,
    id: i64,
    scope: Scope<'_>,
) -> QueryResult<Option<CaseRow>> {
    let none = CaseFilter::default();
    scoped(scope, &none)
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// Every case of one citizen (newest first, at most `limit`).
pub fn for_citizen(conn: &mut DbConnection, pnr: &str, limit: i64) -> QueryResult<Vec<CaseRow>> {
    on_backend!(conn, |c| cases::table
        .filter(cases::citizen_pnr.eq(pnr))
        .order(cases::id.desc())
        .limit(limit)
        .select(CaseRow::as_select())
        .load(c))
}

pub fn add_event(
    conn: &mut DbConnection,
    case_id: i64,
    at: NaiveDateTime,
    user_id: Option<i64>,
    actor_name: &str,
    action: &str,
    detail: &str,
) -> QueryResult<()> {
    add_event_msg(
        conn,
        case_id,
        at,
        user_id,
        actor_name,
        action,
        &crate::i18n::Msg::from(detail),
    )
}

/// A timeline entry whose detail is a catalog message: its Swedish text is stored as the detail
/// (as every entry has), and the message itself, so that the case page words it in the reader's
/// language. A detail that is only data (`Msg::Text`) is stored as text alone.
pub fn add_event_msg(
    conn: &mut DbConnection,
    case_id: i64,
    at: NaiveDateTime,
    user_id: Option<i64>,
    actor_name: &str,
    action: &str,
    detail: &crate::i18n::Msg,
) -> QueryResult<()> {
    let stored = detail.key_name().map(|_| detail.to_stored());
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(at),
            case_events::user_id.eq(user_id),
            case_events::actor_name.eq(actor_name),
            case_events::action.eq(action),
            case_events::detail.eq(detail.to_string()),
            case_events::detail_msg.eq(stored),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn events(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<CaseEvent>> {
    on_backend!(conn, |c| case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id.asc())
        .limit(1000)
        .select(CaseEvent::as_select())
        .load(c))
}

/// The case's checklist by item (byte order, as [`parts`] gives it, whatever the database's
/// collation).
pub fn checks(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<CaseCheck>> {
    let mut checks: Vec<CaseCheck> = on_backend!(conn, |c| case_checks::table
        .filter(case_checks::case_id.eq(case_id))
        .select(CaseCheck::as_select())
        .load(c))?;
    checks.sort_by(|x, y| x.item.cmp(&y.item));
    Ok(checks)
}

/// What the case page shows besides the case row ([`parts`]).
#[derive(Debug, Default)]
pub struct CaseParts {
    /// The timeline in id order, at most 1 000 entries, as [`events`] reads it.
    pub events: Vec<CaseEvent>,
    /// The checklist by item (byte order), as [`checks`] reads it.
    pub checks: Vec<CaseCheck>,
    /// Attachments in id order, at most 100.
    pub attachments: Vec<super::attachments::Attachment>,
    /// Mail deliveries in id order, at most 50.
    pub deliveries: Vec<super::outbox::Delivery>,
}

/// The case's timeline, checklist, attachments and mail deliveries in one statement
/// ([`super::prepared::CaseParts`]): one round trip on PostgreSQL where there were three.
pub fn parts(conn: &mut DbConnection, case_id: i64) -> QueryResult<CaseParts> {
    use super::prepared::{CaseParts as Query, CasePartsRow};
    let q = Query { case_id };
    let rows: Vec<CasePartsRow> = match conn {
        DbConnection::Sqlite(c) => q.load(c)?,
        DbConnection::Pg(c) => q.load(c)?,
    };
    let mut p = CaseParts::default();
    for (src, id, t1, t2, t3, t4, n1, n2, b, ts1, ts2, o1) in rows {
        match src.as_str() {
            "e" => p.events.push(CaseEvent {
                id,
                case_id,
                at: ts2,
                user_id: n2,
                actor_name: t1,
                action: t2,
                detail: t3,
                detail_msg: o1,
            }),
            "c" => p.checks.push(CaseCheck {
                case_id,
                item: t1,
                done_by_user_id: n1,
                done_by_name: t2,
                done_at: ts2,
                note: t3,
            }),
            "a" => p.attachments.push(super::attachments::Attachment {
                id,
                case_id,
                filename: t1,
                size_bytes: n1,
                sha256: t2,
                storage_key: t3,
                uploaded_by_user_id: n2,
                uploaded_at: ts2,
            }),
            _ => p.deliveries.push(super::outbox::Delivery {
                id,
                kind: t1,
                case_id: Some(case_id),
                recipient: t2,
                encrypted: b,
                status: t3,
                attempts: i32::try_from(n1).unwrap_or(i32::MAX),
                last_error: t4,
                sent_at: ts1,
                created_at: ts2,
            }),
        }
    }
    // A UNION ALL promises no order: each part is put in its own.
    p.events.sort_by_key(|e| e.id);
    p.checks.sort_by(|x, y| x.item.cmp(&y.item));
    p.attachments.sort_by_key(|a| a.id);
    p.deliveries.sort_by_key(|d| d.id);
    Ok(p)
}

pub fn set_check(
    conn: &mut DbConnection,
    case_id: i64,
    item: &str,
    user_id: i64,
    user_name: &str,
    at: NaiveDateTime,
    note: &str,
) -> QueryResult<()> {
    diesel::delete(
        case_checks::table
            .filter(case_checks::case_id.eq(case_id))
            .filter(case_checks::item.eq(item)),
    )
    .execute(conn)?;
    diesel::insert_into(case_checks::table)
        .values((
            case_checks::case_id.eq(case_id),
            case_checks::item.eq(item),
            case_checks::done_by_user_id.eq(user_id),
            case_checks::done_by_name.eq(user_name),
            case_checks::done_at.eq(at),
            case_checks::note.eq(note),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The next diary sequence number of `year`, inside the caller's transaction: gapless (a rolled
/// back transaction gives its number back), unique under concurrency (the counter row is locked
/// by the UPDATE until commit), never reused.
pub fn next_diary_seq(conn: &mut DbConnection, year: i32) -> QueryResult<i64> {
    // `year` is an i32 from our own code, not input: safe to format into the statement.
    conn.batch_execute(&format!(
        "INSERT INTO diary_counters (year, last_seq) VALUES ({year}, 0) ON CONFLICT (year) DO NOTHING"
    ))?;
    diesel::update(diary_counters::table.find(year))
        .set(diary_counters::last_seq.eq(diary_counters::last_seq + 1))
        .execute(conn)?;
    diary_counters::table
        .find(year)
        .select(diary_counters::last_seq)
        .first(conn)
}

pub fn by_diary_number(conn: &mut DbConnection, number: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .filter(cases::diary_number.eq(number))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// Marks the citizen of a case as protected (the population register said so).
pub fn set_protected(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set(cases::citizen_protected.eq(true))
        .execute(conn)
        .map(|_| ())
}

/// Locks whose review falls due by `until` (for the reminder job), in id order from `after_id`.
pub fn reviews_due_by(
    conn: &mut DbConnection,
    until: chrono::NaiveDate,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<CaseRow>> {
    cases::table
        .filter(cases::review_due.le(until))
        .filter(cases::id.gt(after_id))
        .order(cases::id.asc())
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)
}

/// Emergency locks still waiting for their written form.
pub fn waiting_for_form(
    conn: &mut DbConnection,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<CaseRow>> {
    cases::table
        .filter(cases::status.eq("form_pending"))
        .filter(cases::id.gt(after_id))
        .order(cases::id.asc())
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)
}

pub fn set_review_due(
    conn: &mut DbConnection,
    id: i64,
    due: Option<chrono::NaiveDate>,
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set(cases::review_due.eq(due))
        .execute(conn)
        .map(|_| ())
}

/// Whether this user recorded this timeline action on the case since `since`.
pub fn has_event_since(
    conn: &mut DbConnection,
    case_id: i64,
    user_id: i64,
    action: &str,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::user_id.eq(user_id))
            .filter(case_events::action.eq(action))
            .filter(case_events::at.ge(since)),
    ))
    .get_result(conn)
}

/// One page of a year's diary by number, after `after_seq` (keyset: the (diary_year,
/// diary_seq) index serves every page alike, however deep), and the year's count.
pub fn diary_after(
    conn: &mut DbConnection,
    year: i32,
    after_seq: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<CaseRow>, i64)> {
    let total = diary_total(conn, year)?;
    let mut q = cases::table.filter(cases::diary_year.eq(year)).into_boxed();
    if let Some(a) = after_seq {
        q = q.filter(cases::diary_seq.gt(a));
    }
    let rows = q
        .order(cases::diary_seq.asc())
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// How many cases a year's diary holds. The year's counter is the answer (numbers are gapless
/// and a case is never deleted), read in one row instead of counting the year's cases; a year
/// without a counter (numbers written by other means) is counted.
pub fn diary_total(conn: &mut DbConnection, year: i32) -> QueryResult<i64> {
    let last: Option<i64> = diary_counters::table
        .find(year)
        .select(diary_counters::last_seq)
        .first(conn)
        .optional()?;
    match last {
        Some(n) => Ok(n),
        None => cases::table
            .filter(cases::diary_year.eq(year))
            .count()
            .get_result(conn),
    }
}

/// Diary numbers of these cases (an unlock's reference to its lock), by case id.
pub fn diary_numbers_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<Vec<(i64, Option<String>)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    cases::table
        .filter(cases::id.eq_any(ids.to_vec()))
        .select((cases::id, cases::diary_number))
        .load(conn)
}

/// Ends a lock's review cycle (an executed unlock lifted it) and moves its version on, so that a
/// review begun before is refused as a conflict.
pub fn end_review(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((
            cases::review_due.eq(None::<chrono::NaiveDate>),
            cases::version.eq(cases::version + 1),
            cases::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}
