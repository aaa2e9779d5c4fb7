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

/// The case list, newest change first, a page at a time. The page's citizens are written to the
/// access log in the same transaction (`case_list_view`, the filter and page key as object).
pub fn list(
    conn: &mut DbConnection,
    ctx: &Ctx,
    filter: &ListFilter,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
) -> Result<Page<CaseRow, NaiveDateTime>, ServiceError> {
    let actor = ctx.actor()?;
    let role = ctx.require(Access::ListCases)?;
    let units = scope_units(actor);
    let scope = list_scope(role, &units);
    let filter = filter.known();
    db::write_tx(conn, |c| {
        let page = cases::page_for_units(c, scope, &filter.db(), cursor, limit, COUNT_CAP)?;
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
    rows: &[CaseRow],
) -> Result<(), ServiceError> {
    let mut e = ctx.entry(Some(role), action, Some(object));
    e.detail = Some(format!("{} ärenden", rows.len()));
    e.subjects = rows.iter().map(|r| r.citizen_pnr.clone()).collect();
    ctx.log(c, &e)
}

/// The handler's intake queue: new and resubmitted cases, received ones being worked on, and
/// emergency locks waiting for their form; oldest submission first. Logged as `queue_view`,
/// naming the page's citizens, in the same transaction.
pub fn queue(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cursor: &Cursor<NaiveDateTime>,
    limit: i64,
) -> Result<Page<CaseRow, NaiveDateTime>, ServiceError> {
    let role = ctx.require(Access::HandleCases)?;
    db::write_tx(conn, |c| {
        let page = cases::queue(c, cursor, limit, COUNT_CAP)?;
        let object = format!("handlaggning?{}", cursor.describe());
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
    pub page: Page<CaseRow, ()>,
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
                let page =
                    cases::page_for_citizen(c, &p.digits(), scope, cursor, limit, COUNT_CAP)?;
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
        e.detail = Some(format!("{} ärenden", page.rows.len()));
        if !matches!(term, SearchTerm::Personnummer(_)) {
            // A number finds at most one case: its citizen is the entry's personnummer.
            e.personnummer = page.rows.first().map(|r| r.citizen_pnr.clone());
        }
        ctx.log(c, &e)?;
        Ok(SearchResult { shown, page })
    })
}

/// A page of at most one row.
fn single(row: Option<CaseRow>) -> Page<CaseRow, ()> {
    let rows: Vec<CaseRow> = row.into_iter().collect();
    Page {
        count: crate::db::page::Count::Exact(rows.len() as i64),
        rows,
        prev: None,
        next: None,
    }
}
