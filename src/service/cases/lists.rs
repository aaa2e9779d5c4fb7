//! The lists of cases: the case list with its filters, the handler's queue and the search (by
//! personnummer, diary number or case number). Each is read a page at a time by key
//! (`db::page`), counts at most `COUNT_CAP` rows, and logs the citizens of the page in the same
//! transaction.

use super::*;
use crate::db::cases::{CaseFilter, Scope};
use crate::db::page::{COUNT_CAP, Cursor, Page};
use chrono::{NaiveDateTime, TimeZone};

/// The case list's filters as the user chose them (unknown codes are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub unit_id: Option<i64>,
    /// Last changed on or after this day (Swedish time).
    pub from: Option<NaiveDate>,
    /// Last changed on or before this day (Swedish time).
    pub until: Option<NaiveDate>,
    /// Signed by a decider (`Some(true)`) or still waiting for the signature (`Some(false)`).
    pub signed: Option<bool>,
    /// Decided on or after this day (the decision's date).
    pub decided_from: Option<NaiveDate>,
    /// Decided on or before this day.
    pub decided_until: Option<NaiveDate>,
}

impl ListFilter {
    /// The filter with every unknown code dropped.
    pub fn known(&self) -> ListFilter {
        ListFilter {
            status: self.status.clone().filter(|s| s.parse::<Status>().is_ok()),
            kind: self.kind.clone().filter(|s| s.parse::<Kind>().is_ok()),
            channel: self
                .channel
                .clone()
                .filter(|s| s.parse::<Channel>().is_ok()),
            ..self.clone()
        }
    }

    /// The filter as a query string (without the page key), for links and the access log.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![];
        let mut push = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        };
        push("status", self.status.clone());
        push("typ", self.kind.clone());
        push("kanal", self.channel.clone());
        push("enhet", self.unit_id.map(|u| u.to_string()));
        push("fran", self.from.map(|d| d.to_string()));
        push("till", self.until.map(|d| d.to_string()));
        push(
            "signerad",
            self.signed
                .map(|s| if s { "ja" } else { "nej" }.to_string()),
        );
        push("beslut_fran", self.decided_from.map(|d| d.to_string()));
        push("beslut_till", self.decided_until.map(|d| d.to_string()));
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    pub(super) fn db(&self) -> CaseFilter {
        CaseFilter {
            status: self.status.clone(),
            kind: self.kind.clone(),
            channel: self.channel.clone(),
            unit_id: self.unit_id,
            from: self.from.map(start_of_day),
            until: self.until.and_then(|d| d.succ_opt()).map(start_of_day),
            signed: self.signed,
            decided_from: self.decided_from,
            decided_until: self.decided_until,
        }
    }
}

/// Midnight of a Swedish day, as the UTC time the database stores.
fn start_of_day(d: NaiveDate) -> NaiveDateTime {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    Stockholm
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.naive_utc())
        .unwrap_or(midnight)
}

/// Whose cases this actor's lists show: handlers every unit's but other units' drafts; the
/// others their own units'.
pub(super) fn scope_units(actor: &Actor) -> Vec<i64> {
    actor.unit_ids()
}

/// Whose cases the case list shows this actor, and the role they read them in.
fn actor_scope(ctx: &Ctx) -> Result<(Role, Vec<i64>), ServiceError> {
    let actor = ctx.actor()?;
    let role = ctx.require(Access::ListCases)?;
    Ok((role, scope_units(actor)))
}

/// The cases the case list shows the role acted in: a handler every unit's but other units'
/// drafts, a chefläkare the units' lock decisions once sent, the others their units' cases.
pub(super) fn list_scope(role: Role, units: &[i64]) -> Scope<'_> {
    match role {
        Role::Handler => Scope::Handler(units),
        // SPEC §1: the chefläkare sees the lock decisions of the area, not drafts or unlocks.
        Role::ChiefPhysician => Scope::ChiefPhysician(units),
        _ => Scope::Units(units),
    }
}

/// How many cases the case list with this filter shows the actor (no citizen data: a number),
/// counted up to `cap`.
pub fn list_count(
    conn: &mut DbConnection,
    ctx: &Ctx,
    filter: &ListFilter,
    cap: i64,
) -> Result<crate::db::page::Count, ServiceError> {
    let (role, units) = actor_scope(ctx)?;
    Ok(cases::count_for_units(
        conn,
        list_scope(role, &units),
        &filter.known().db(),
        cap,
    )?)
}

/// The case list, newest change first, a page at a time. The page's citizens are written to the
/// access log in the same transaction (`case_list_view`, the filter and page key as object).
pub fn list(
    conn: &mut DbConnection,
    ctx: &Ctx,
    filter: &ListFilter,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
) -> Result<Page<CaseSummary, NaiveDateTime>, ServiceError> {
    let (role, units) = actor_scope(ctx)?;
    let scope = list_scope(role, &units);
    let filter = filter.known();
    // The count first, outside the write transaction: a number, no citizen.
    let count = cases::count_for_units(conn, scope, &filter.db(), COUNT_CAP)?;
    db::write_tx(conn, |c| {
        let page = cases::page_for_units(c, scope, &filter.db(), cursor, limit, count)?;
        let object = match filter.query() {
            q if q.is_empty() => format!("arenden?{}", cursor.describe()),
            q => format!("arenden?{q}&{}", cursor.describe()),
        };
        log_list(c, ctx, role, "case_list_view", object, &page.rows)?;
        Ok(page)
    })
}

/// Logs a list page: one entry for the request, naming every citizen on the page
/// (`access_log_subjects`), whose number and digest go into the hashed detail.
pub(super) fn log_list(
    c: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    action: &str,
    object: String,
    rows: &[CaseSummary],
) -> Result<(), ServiceError> {
    let mut e = ctx.entry(Some(role), action, Some(object));
    e.detail = Some(Msg::key("log-list-cases").arg("n", rows.len()));
    e.subjects = rows.iter().map(|r| r.citizen_pnr.clone()).collect();
    ctx.log(c, &e)
}

/// A selection of the handler's queue as the user chose it: one of its statuses, and how many
/// days the cases have waited at least (since they were sent, or since the emergency call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSelection {
    pub status: Option<Status>,
    pub waited_days: Option<u32>,
}

impl QueueSelection {
    /// The selection as a query string (without the page key), for links and the access log.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![];
        if let Some(s) = self.status {
            pairs.push(("status", s.code().to_string()));
        }
        if let Some(d) = self.waited_days {
            pairs.push(("dagar", d.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    fn db(&self, ctx: &Ctx) -> cases::QueueFilter {
        cases::QueueFilter {
            // Only the queue's own statuses select anything; another is no selection.
            status: self.status.filter(|s| {
                matches!(
                    s,
                    Status::Submitted | Status::Received | Status::Verified | Status::FormPending
                )
            }),
            submitted_by: self
                .waited_days
                .map(|d| db::ts(ctx.now - chrono::Duration::days(i64::from(d)))),
        }
    }
}

/// How many cases of the handler's queue the selection holds (a number, no citizen data),
/// counted up to `cap`.
pub fn queue_count(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: &QueueSelection,
    cap: i64,
) -> Result<crate::db::page::Count, ServiceError> {
    ctx.require(Access::HandleCases)?;
    Ok(cases::queue_count(conn, &selection.db(ctx), cap)?)
}

/// The oldest `n` cases of a queue selection, for the start page, which shows only their numbers,
/// units and ages — no citizen data, so nothing to log. Crate-only: a page that shows their
/// citizens reads them through [`queue_selected`], which logs them.
pub(crate) fn queue_oldest(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: &QueueSelection,
    n: i64,
) -> Result<Vec<CaseSummary>, ServiceError> {
    ctx.require(Access::HandleCases)?;
    let uncounted = crate::db::page::Count::Exact(0);
    Ok(cases::queue(conn, &selection.db(ctx), &Cursor::First, n, uncounted)?.rows)
}

/// The handler's intake queue: new and resubmitted cases, received ones being worked on, and
/// emergency locks waiting for their form; oldest submission first. Logged as `queue_view`,
/// naming the page's citizens, in the same transaction.
pub fn queue(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
) -> Result<Page<CaseSummary, NaiveDateTime>, ServiceError> {
    queue_selected(conn, ctx, &QueueSelection::default(), cursor, limit)
}

/// The queue with a selection (a status, a least wait), oldest submission first.
pub fn queue_selected(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: &QueueSelection,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
) -> Result<Page<CaseSummary, NaiveDateTime>, ServiceError> {
    let role = ctx.require(Access::HandleCases)?;
    let filter = selection.db(ctx);
    let count = cases::queue_count(conn, &filter, COUNT_CAP)?;
    db::write_tx(conn, |c| {
        let page = cases::queue(c, &filter, cursor, limit, count)?;
        let object = match selection.query() {
            q if q.is_empty() => format!("handlaggning?{}", cursor.describe()),
            q => format!("handlaggning?{q}&{}", cursor.describe()),
        };
        log_list(c, ctx, role, "queue_view", object, &page.rows)?;
        Ok(page)
    })
}

/// What a handler searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    Personnummer(Personnummer),
    /// A diary number's year and sequence (`KSD 2026-00042`, or `2026-00042`).
    Diary(i32, i64),
    /// A case number (`123` or `nr 123`), for cases without a diary number.
    Case(i64),
}

impl SearchTerm {
    /// Reads a search field: a personnummer or samordningsnummer (10 or 12 digits), a diary
    /// number, or a case number (`nr 123`, or up to 9 digits).
    pub fn parse(input: &str, today: NaiveDate) -> Result<SearchTerm, FieldErrors> {
        let s = input.trim();
        let invalid = |m: crate::i18n::Msg| {
            let mut errors = FieldErrors::default();
            errors.add("pnr", m);
            errors
        };
        let lower = s.to_lowercase();
        let case_number = lower
            .strip_prefix("nr")
            .or_else(|| lower.strip_prefix("ärende"))
            .map(str::trim)
            .unwrap_or(&lower);
        if !case_number.is_empty()
            && case_number.len() <= 9
            && case_number.bytes().all(|b| b.is_ascii_digit())
        {
            return case_number
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(SearchTerm::Case)
                .ok_or_else(|| invalid(crate::messages::SEARCH_TERM.into()));
        }
        if let Some(d) = DiaryNumber::parse(s) {
            return Ok(SearchTerm::Diary(d.year, d.seq));
        }
        if let Some((y, n)) = s.split_once('-')
            && y.len() == 4
            && n.len() == 5
            && y.bytes().chain(n.bytes()).all(|b| b.is_ascii_digit())
            && let (Ok(y), Ok(n)) = (y.parse::<i32>(), n.parse::<i64>())
            && n > 0
        {
            return Ok(SearchTerm::Diary(y, n));
        }
        Personnummer::parse(s, today)
            .map(SearchTerm::Personnummer)
            .map_err(|e| {
                if s.bytes().any(|b| b.is_ascii_digit()) {
                    invalid(crate::messages::personnummer(e).into())
                } else {
                    invalid(crate::messages::SEARCH_TERM.into())
                }
            })
    }
}

/// What a search found: the term as shown back, and a page of cases.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub shown: String,
    pub page: Page<CaseSummary, ()>,
}

/// Searches by personnummer, diary number or case number (handlers only; other units' drafts are
/// not shown). A logged read of the citizens found: a personnummer search is `citizen_search`
/// with that personnummer, a number search `case_search` naming the citizen of the case found.
pub fn search(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &str,
    cursor: &Cursor<()>,
    limit: i64,
) -> Result<SearchResult, ServiceError> {
    ctx.require(Access::HandleCases)?;
    let term = SearchTerm::parse(input, swedish_today(ctx)).map_err(ServiceError::Invalid)?;
    let units = scope_units(ctx.actor()?);
    let scope = Scope::Handler(&units);
    db::write_tx(conn, |c| {
        let (shown, page, mut e) = match &term {
            SearchTerm::Personnummer(p) => {
                // Counted inside the transaction: how many cases a citizen has is about them.
                let count = cases::count_for_citizen(c, &p.digits(), scope, COUNT_CAP)?;
                let page = cases::page_for_citizen(c, &p.digits(), scope, cursor, limit, count)?;
                let mut e = ctx.entry(Some(Role::Handler), "citizen_search", None);
                // One citizen: the entry's own personnummer names them.
                e.personnummer = Some(p.digits());
                (p.canonical(), page, e)
            }
            SearchTerm::Diary(y, n) => {
                let row = cases::by_diary_seq(c, *y, *n, scope)?;
                let shown = format!("{y}-{n:05}");
                let object = format!("sok?diarienummer={shown}");
                let e = ctx.entry(Some(Role::Handler), "case_search", Some(object));
                (shown, single(row), e)
            }
            SearchTerm::Case(id) => {
                let row = cases::by_id_in(c, *id, scope)?;
                let e = ctx.entry(
                    Some(Role::Handler),
                    "case_search",
                    Some(format!("sok?arendenummer={id}")),
                );
                (format!("nr {id}"), single(row), e)
            }
        };
        e.detail = Some(Msg::key("log-list-cases").arg("n", page.rows.len()));
        if !matches!(term, SearchTerm::Personnummer(_)) {
            // A number finds at most one case: its citizen is the entry's personnummer.
            e.personnummer = page.rows.first().map(|r| r.citizen_pnr.clone());
        }
        ctx.log(c, &e)?;
        Ok(SearchResult { shown, page })
    })
}

/// A page of at most one row.
fn single(row: Option<CaseRow>) -> Page<CaseSummary, ()> {
    let rows: Vec<CaseSummary> = row.into_iter().map(CaseSummary::from).collect();
    Page {
        count: crate::db::page::Count::Exact(rows.len() as i64),
        rows,
        prev: None,
        next: None,
    }
}
