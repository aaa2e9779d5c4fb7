//! The auditor's screens (SPEC §4, logguppföljning): searching the access log, a citizen's
//! extract, exports as CSV, spot checks and the entries to look at. Only the auditor role
//! (`Access::ReadAuditLog`, `Access::SpotChecks`). Every search, extract, export, sample and review
//! is itself an entry of the log, written in the transaction that read what it shows and naming
//! every citizen shown (docs/architecture.md, "The auditor's screens").

pub mod checks;
mod export;
pub mod review;

pub use export::{Exported, Extract, export, extract, extract_csv};

use super::{Access, Ctx, FieldErrors, ServiceError};
use crate::db::audit_search::{self as q, Filter};
use crate::db::models::AccessLogRow;
use crate::db::{self, DbConnection};
use crate::domain::csv;
use crate::domain::{Personnummer, Role};
use crate::i18n::{Arg, Lang, Msg};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::Stockholm;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;

/// Entries on one page of a search.
pub const PAGE: i64 = 50;
/// Rows of one CSV export at most.
pub const EXPORT_CAP: i64 = 100_000;
/// Entries a search counts at most: beyond it the page says "more than" (as the case lists do).
pub const COUNT_CAP: i64 = crate::db::page::COUNT_CAP;
/// Rows an extract page shows at most (the CSV holds up to [`EXPORT_CAP`]).
pub const EXTRACT_PAGE_CAP: i64 = 2_000;
/// Rows read per query while exporting (memory stays at one chunk).
const CHUNK: i64 = 1_000;
/// Shown for an entry without a unit, before the user's units of today.
const USER_UNITS_TODAY: &str = "användarens enheter i dag";
/// Shown for a handler's entry without a unit: handlers act for every unit.
const HANDLER_UNITS: &str = "Spärr- och loggservice – alla enheter";
/// Users a name search may match.
const NAMED_USERS: i64 = 50;

/// The search form as typed. The personnummer travels in POST bodies only.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct SearchInput {
    #[serde(default)]
    pub pnr: String,
    /// An HSA-ID, or a part of a name.
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub action: String,
    /// A case number.
    #[serde(default, rename = "case")]
    pub case_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// A citizen as a result shows them: digits, and the name from their cases (masked when
/// protected; empty when no case names them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenShown {
    pub pnr: String,
    pub name: String,
}

/// One entry as the auditor reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    pub id: i64,
    /// UTC.
    pub at: NaiveDateTime,
    pub user_hsa_id: String,
    pub user_name: String,
    pub role: String,
    pub unit_code: String,
    pub unit_name: String,
    pub action: String,
    pub object: String,
    pub case_id: Option<i64>,
    pub diary_number: Option<String>,
    pub citizens: Vec<CitizenShown>,
    pub client_addr: String,
    /// As stored (a message or, in rows from before, Swedish text): worded for the reader by
    /// `messages::log::log_detail` (the CSV) or `messages::log::log_detail_brief` (the pages).
    pub detail: String,
}

impl EntryView {
    /// The role's Swedish name (the code when unknown).
    pub fn role_label(&self) -> String {
        self.role
            .parse::<Role>()
            .map(|r| r.label().to_string())
            .unwrap_or_else(|_| self.role.clone())
    }
}

/// A Swedish local time as stored UTC.
fn utc_of(local: NaiveDateTime) -> NaiveDateTime {
    Stockholm
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            Stockholm
                .from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.naive_utc())
        .unwrap_or(local)
}

/// A stored UTC time in Swedish time, to the second.
pub fn local(t: &NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Parses `ÅÅÅÅ-MM-DD` or `ÅÅÅÅ-MM-DD TT:MM` (Swedish time). `end`: the moment just after it (the
/// next day, or the next minute), so that a period's end is inclusive as typed.
pub fn parse_moment(s: &str, end: bool) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let d = if end { d.succ_opt()? } else { d };
        return Some(utc_of(d.and_hms_opt(0, 0, 0)?));
    }
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()?;
    Some(utc_of(if end {
        t + chrono::Duration::minutes(1)
    } else {
        t
    }))
}

/// A UTC time as the search form takes it (Swedish time, to the minute).
pub fn form_time(t: &NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn today(ctx: &Ctx) -> NaiveDate {
    ctx.now.with_timezone(&Stockholm).date_naive()
}

/// Checks the form and turns it into a filter. A user given by name becomes the HSA-IDs of the
/// users whose name contains it.
pub fn criteria(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &SearchInput,
) -> Result<Filter, ServiceError> {
    let mut errors = FieldErrors::default();
    let mut f = Filter::default();
    if !input.pnr.trim().is_empty() {
        match Personnummer::parse(&input.pnr, today(ctx)) {
            Ok(p) => f.citizen = Some(p.digits()),
            Err(e) => errors.add("pnr", crate::messages::personnummer(e)),
        }
    }
    let user = super::line_field(&mut errors, "user", &input.user, 100, false);
    let unit = super::line_field(&mut errors, "unit", &input.unit, 32, false);
    let role = input.role.trim();
    if !role.is_empty() {
        match role.parse::<Role>() {
            Ok(r) => f.role = Some(r.code().to_string()),
            Err(_) => errors.add("role", crate::messages::AUDIT_ROLE_UNKNOWN),
        }
    }
    let action = input.action.trim();
    if !action.is_empty() {
        if action.len() <= 64 && action.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            f.action = Some(action.to_string());
        } else {
            errors.add("action", crate::messages::AUDIT_ACTION_FORMAT);
        }
    }
    let case = input.case_id.trim();
    if !case.is_empty() {
        match case.parse::<i64>() {
            Ok(n) if n > 0 => f.case_id = Some(n),
            _ => errors.add("case", crate::messages::AUDIT_CASE_FORMAT),
        }
    }
    for (field, text, end) in [("from", &input.from, false), ("to", &input.to, true)] {
        if text.trim().is_empty() {
            continue;
        }
        match parse_moment(text, end) {
            Some(t) if end => f.to = Some(t),
            Some(t) => f.from = Some(t),
            None => errors.add(field, crate::messages::AUDIT_TIME_FORMAT),
        }
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && b <= a
    {
        errors.add("to", crate::messages::AUDIT_PERIOD_ORDER);
    }
    errors.into_result()?;
    if !unit.is_empty() {
        f.unit_code = Some(unit);
    }
    if !user.is_empty() {
        f.users = Some(if crate::domain::HsaId::parse(&user).is_ok() {
            vec![user.to_ascii_uppercase()]
        } else {
            q::users_named(conn, &user, NAMED_USERS)?
        });
    }
    Ok(f)
}

/// What a search, extract or export was asked, for its log entry (no personnummer: that is the
/// entry's own column): `användare=…, enhet=…`, the names worded in the auditor's language.
fn describe(input: &SearchInput, before: Option<i64>) -> Arg {
    let mut parts: Vec<Vec<Arg>> = vec![];
    if !input.pnr.trim().is_empty() {
        parts.push(vec![Arg::Key("log-crit-citizen".into())]);
    }
    let before = before.map(|b| b.to_string()).unwrap_or_default();
    for (k, v) in [
        ("log-crit-user", &input.user),
        ("log-crit-unit", &input.unit),
        ("log-crit-role", &input.role),
        ("log-crit-action", &input.action),
        ("log-crit-case", &input.case_id),
        ("log-crit-from", &input.from),
        ("log-crit-to", &input.to),
        ("log-crit-before", &before),
    ] {
        if !v.trim().is_empty() {
            parts.push(vec![Arg::Key(k.into()), Arg::Str(format!("={}", v.trim()))]);
        }
    }
    if parts.is_empty() {
        return Arg::Key("log-crit-none".into());
    }
    let mut joined = vec![];
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            joined.push(Arg::Str(", ".into()));
        }
        joined.extend(p);
    }
    Arg::Parts(joined)
}

/// The entries as auditors read them: names of users, units and citizens, case numbers.
pub fn views(
    conn: &mut DbConnection,
    rows: &[AccessLogRow],
) -> Result<Vec<EntryView>, ServiceError> {
    views_for(conn, rows, None)
}

/// [`views`], each entry naming only `only` when given: a citizen's extract answers for that
/// citizen alone, so the others a list entry names (up to a page of them) are neither read nor
/// shown, as in the extract's CSV. Every row given must name `only`.
pub fn views_for(
    conn: &mut DbConnection,
    rows: &[AccessLogRow],
    only: Option<&str>,
) -> Result<Vec<EntryView>, ServiceError> {
    views_with_citizens(conn, rows, only).map(|(views, _)| views)
}

/// [`views_for`], and what the cases tell of the citizens shown (`only` among them even when no
/// row is given), read once for both: the extract's heading names its citizen.
pub fn views_with_citizens(
    conn: &mut DbConnection,
    rows: &[AccessLogRow],
    only: Option<&str>,
) -> Result<(Vec<EntryView>, HashMap<String, q::CitizenFacts>), ServiceError> {
    let named: HashMap<i64, Vec<String>> = match only {
        Some(p) => rows.iter().map(|r| (r.id, vec![p.to_string()])).collect(),
        None => {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut named = q::subjects_for(conn, &ids)?;
            for r in rows {
                if let Some(p) = &r.personnummer {
                    let list = named.entry(r.id).or_default();
                    if !list.contains(p) {
                        list.push(p.clone());
                        list.sort();
                    }
                }
            }
            named
        }
    };
    let users: BTreeSet<String> = rows.iter().filter_map(|r| r.user_hsa_id.clone()).collect();
    let staff = q::staff(conn, &users)?;
    let user_names: HashMap<String, String> = staff
        .iter()
        .map(|(h, f)| (h.clone(), f.name.clone()))
        .collect();
    let all_units = crate::db::org::all_units(conn)?;
    let units: HashMap<String, String> = all_units
        .iter()
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let unit_by_id: HashMap<i64, &str> =
        all_units.iter().map(|u| (u.id, u.name.as_str())).collect();
    // An entry without a unit (a list, a search) was not made for one unit: show where the user
    // works today, said as such.
    let fallback = |hsa: &str, role: &str| -> String {
        let theirs: Vec<&str> = staff
            .get(hsa)
            .map(|f| {
                f.units
                    .iter()
                    .filter_map(|u| unit_by_id.get(u).copied())
                    .collect()
            })
            .unwrap_or_default();
        if !theirs.is_empty() {
            format!("({}: {})", USER_UNITS_TODAY, theirs.join(", "))
        } else if role == Role::Handler.code() {
            HANDLER_UNITS.to_string()
        } else {
            String::new()
        }
    };
    let mut pnrs: BTreeSet<String> = named.values().flatten().cloned().collect();
    pnrs.extend(only.map(str::to_string));
    let citizens = q::citizens(conn, &pnrs)?;
    let case_of = |r: &AccessLogRow| {
        r.object
            .as_deref()
            .and_then(|o| o.strip_prefix("case:"))
            .and_then(|n| n.parse::<i64>().ok())
    };
    let case_ids: BTreeSet<i64> = rows.iter().filter_map(case_of).collect();
    let diary = q::diary_numbers(conn, &case_ids)?;
    let views = rows
        .iter()
        .map(|r| {
            let unit_code = r.unit_code.clone().unwrap_or_default();
            let user = r.user_hsa_id.clone().unwrap_or_default();
            let case_id = case_of(r);
            EntryView {
                id: r.id,
                at: r.at,
                user_name: user_names.get(&user).cloned().unwrap_or_default(),
                user_hsa_id: user.clone(),
                role: r.role.clone().unwrap_or_default(),
                unit_name: if unit_code.is_empty() {
                    fallback(&user, r.role.as_deref().unwrap_or_default())
                } else {
                    units.get(&unit_code).cloned().unwrap_or_default()
                },
                unit_code,
                action: r.action.clone(),
                object: r.object.clone().unwrap_or_default(),
                case_id,
                diary_number: case_id.and_then(|c| diary.get(&c).cloned()),
                citizens: named
                    .get(&r.id)
                    .map(|list| {
                        list.iter()
                            .map(|p| CitizenShown {
                                pnr: p.clone(),
                                name: citizens
                                    .get(p)
                                    .map(|c| {
                                        crate::domain::personnummer::shown(&c.name, c.protected)
                                    })
                                    .unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                client_addr: r.client_addr.clone().unwrap_or_default(),
                detail: r.detail.clone().unwrap_or_default(),
            }
        })
        .collect();
    Ok((views, citizens))
}

/// The citizens a set of views shows.
pub fn shown_citizens<'a>(views: impl IntoIterator<Item = &'a EntryView>) -> Vec<String> {
    let set: BTreeSet<String> = views
        .into_iter()
        .flat_map(|v| v.citizens.iter().map(|c| c.pnr.clone()))
        .collect();
    set.into_iter().collect()
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub rows: Vec<EntryView>,
    /// The cursor of the next (older) page, when there is one.
    pub next: Option<i64>,
    /// Entries matching, counted up to `COUNT_CAP + 1`.
    pub matched: i64,
}

/// Searches the log; one page, newest first, older than `before`. Logged as `audit_search`,
/// naming the searched citizen and every citizen on the page.
pub fn search(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &SearchInput,
    before: Option<i64>,
) -> Result<SearchPage, ServiceError> {
    let role = ctx.require(Access::ReadAuditLog)?;
    let filter = criteria(conn, ctx, input)?;
    // The count first, outside the write transaction (a number, no citizen: like the case
    // lists'), and only up to COUNT_CAP: counted inside it up to the export's 100 000, a search
    // for a much-read citizen held SQLite's one writer for a quarter of a second (bench/http).
    let matched = q::count_capped(conn, &filter, COUNT_CAP)?;
    db::write_tx(conn, |c| {
        let mut rows = q::search(c, &filter, before, PAGE + 1)?;
        let next = if rows.len() as i64 > PAGE {
            rows.truncate(PAGE as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        let rows = views(c, &rows)?;
        let mut e = ctx.entry(Some(role), "audit_search", Some("logg".into()));
        e.personnummer = filter.citizen.clone();
        e.detail = Some(
            Msg::key("log-audit-search")
                .arg("criteria", describe(input, before))
                .arg("n", rows.len()),
        );
        e.subjects = shown_citizens(&rows);
        ctx.log(c, &e)?;
        Ok(SearchPage {
            rows,
            next,
            matched,
        })
    })
}

/// One round of SQLite's citizen index (`db::audit::index_citizens`, at most
/// [`crate::db::audit::CITIZEN_ROUND_ROWS`] subject rows) in its own write transaction: no
/// citizen data is shown, so nothing is logged. Returns the rows indexed.
pub fn index_citizens(conn: &mut DbConnection) -> Result<i64, ServiceError> {
    db::write_tx(conn, |c| {
        Ok(crate::db::audit::index_citizens(
            c,
            Some(crate::db::audit::CITIZEN_ROUND_ROWS),
        )?)
    })
}

/// The units to choose from in a search (code, name).
pub fn units(conn: &mut DbConnection, ctx: &Ctx) -> Result<Vec<(String, String)>, ServiceError> {
    ctx.require(Access::ReadAuditLog)?;
    Ok(crate::db::org::all_units(conn)?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect())
}
