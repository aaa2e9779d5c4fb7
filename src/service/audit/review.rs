//! "Entries to look at" (att granska): the rules of `domain::audit_review` over a period's
//! entries, bounded (the period, default the last 7 days; at most `audit_review_scan_limit`
//! entries; at most [`FINDINGS_MAX`] findings shown).

use super::*;
use crate::config::Config;
use crate::domain::audit_review::{self as rules, Facts, Finding, Seen, Thresholds};

/// Findings one page shows at most.
pub const FINDINGS_MAX: usize = 500;
/// Days the period covers when none is given.
pub const DEFAULT_DAYS: u64 = 7;

/// The settings the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub thresholds: Thresholds,
    pub scan_limit: i64,
}

impl Settings {
    pub fn from_config(c: &Config) -> Self {
        Settings {
            thresholds: Thresholds {
                office_start: c.office_hours_start,
                office_end: c.office_hours_end,
                burst_citizens: c.audit_burst_citizens as usize,
                burst_minutes: c.audit_burst_minutes,
            },
            scan_limit: c.audit_review_scan_limit,
        }
    }
}

/// Which rule a finding is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Protected,
    NoCaseInUnit,
    OffHours,
    Burst,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::Protected => "protected",
            Rule::NoCaseInUnit => "no_case",
            Rule::OffHours => "off_hours",
            Rule::Burst => "burst",
        }
    }
}

/// A finding as the page shows it, with the search that lists the entries behind it.
#[derive(Debug, Clone)]
pub struct FindingView {
    pub rule: Rule,
    pub user_hsa_id: String,
    pub user_name: String,
    pub citizen: Option<CitizenShown>,
    /// Entries (or, for a burst, different citizens).
    pub count: usize,
    pub first: NaiveDateTime,
    pub last: NaiveDateTime,
    pub search: SearchInput,
}

/// The page: the period as typed (or defaulted), and what was found.
#[derive(Debug, Clone)]
pub struct ReviewPage {
    pub from: String,
    pub to: String,
    pub findings: Vec<FindingView>,
    /// Entries read.
    pub scanned: usize,
    /// The scan stopped at the limit: older entries of the period were not read.
    pub scan_capped: bool,
    /// More findings than shown.
    pub findings_capped: bool,
}

/// Runs the rules over a period (dates, Swedish time; default the last 7 days). Logged as
/// `audit_review`, naming every citizen a finding shows.
pub fn review(
    conn: &mut DbConnection,
    ctx: &Ctx,
    settings: &Settings,
    from: &str,
    to: &str,
) -> Result<ReviewPage, ServiceError> {
    let role = ctx.require(Access::ReadAuditLog)?;
    let today = today(ctx);
    let from = if from.trim().is_empty() {
        (today - chrono::Days::new(DEFAULT_DAYS - 1)).to_string()
    } else {
        from.trim().to_string()
    };
    let to = if to.trim().is_empty() {
        today.to_string()
    } else {
        to.trim().to_string()
    };
    let mut errors = FieldErrors::default();
    let start = NaiveDate::parse_from_str(&from, "%Y-%m-%d")
        .ok()
        .and_then(|_| parse_moment(&from, false));
    let end = NaiveDate::parse_from_str(&to, "%Y-%m-%d")
        .ok()
        .and_then(|_| parse_moment(&to, true));
    if start.is_none() {
        errors.add("from", crate::messages::AUDIT_DATE_FORMAT);
    }
    if end.is_none() {
        errors.add("to", crate::messages::AUDIT_DATE_FORMAT);
    }
    if let (Some(a), Some(b)) = (start, end) {
        if b <= a {
            errors.add("to", crate::messages::AUDIT_PERIOD_ORDER);
        } else if (b - a).num_days() > 367 {
            errors.add("to", crate::messages::AUDIT_PERIOD_LONG);
        }
    }
    errors.into_result()?;
    let (Some(start), Some(end)) = (start, end) else {
        return Err(ServiceError::Invalid(FieldErrors::default()));
    };
    db::write_tx(conn, |c| {
        let Scan {
            scanned,
            all,
            users,
            citizens,
        } = scan(c, settings, start, end)?;
        let scan_capped = scanned as i64 >= settings.scan_limit;
        let findings_capped = all.len() > FINDINGS_MAX;
        let names = q::user_names(c, &users)?;
        let shown = |p: &str| CitizenShown {
            pnr: p.to_string(),
            name: citizens
                .get(p)
                .map(|f| crate::domain::personnummer::shown(&f.name, f.protected))
                .unwrap_or_default(),
        };
        let findings: Vec<FindingView> = all
            .into_iter()
            .take(FINDINGS_MAX)
            .map(|f| {
                let (rule, user, citizen, count, first, last) = match f {
                    Finding::Protected {
                        user,
                        citizen,
                        count,
                        first,
                        last,
                    } => (Rule::Protected, user, Some(citizen), count, first, last),
                    Finding::NoCaseInUnit {
                        user,
                        citizen,
                        count,
                        first,
                        last,
                    } => (Rule::NoCaseInUnit, user, Some(citizen), count, first, last),
                    Finding::OffHours {
                        user,
                        count,
                        first,
                        last,
                        ..
                    } => (Rule::OffHours, user, None, count, first, last),
                    Finding::Burst {
                        user,
                        citizens,
                        first,
                        last,
                    } => (Rule::Burst, user, None, citizens, first, last),
                };
                let search = SearchInput {
                    pnr: citizen
                        .as_deref()
                        .map(Personnummer::display_digits)
                        .unwrap_or_default(),
                    user: user.clone(),
                    from: form_time(&first),
                    to: form_time(&last),
                    ..Default::default()
                };
                FindingView {
                    rule,
                    user_name: names.get(&user).cloned().unwrap_or_default(),
                    user_hsa_id: user,
                    citizen: citizen.as_deref().map(shown),
                    count,
                    first,
                    last,
                    search,
                }
            })
            .collect();
        let mut e = ctx.entry(Some(role), "audit_review", Some("logg/granska".into()));
        e.detail = Some(
            Msg::key("log-audit-review")
                .arg("from", from.to_string())
                .arg("to", to.to_string())
                .arg("scanned", scanned)
                .arg("found", findings.len()),
        );
        e.subjects = findings
            .iter()
            .filter_map(|f| f.citizen.as_ref().map(|c| c.pnr.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        ctx.log(c, &e)?;
        Ok(ReviewPage {
            from: from.clone(),
            to: to.clone(),
            findings,
            scanned,
            scan_capped,
            findings_capped,
        })
    })
}

/// What the rules found in a period, and the facts the page words them with.
struct Scan {
    scanned: usize,
    all: Vec<Finding>,
    users: BTreeSet<String>,
    citizens: HashMap<String, q::CitizenFacts>,
}

/// Reads the period's entries (at most the scan limit) and the facts, and runs the rules.
fn scan(
    c: &mut DbConnection,
    settings: &Settings,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Scan, ServiceError> {
    let rows = q::citizen_entries_in(c, start, end, settings.scan_limit)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let named = q::subjects_for(c, &ids)?;
    let seen: Vec<Seen> = rows
        .iter()
        .map(|r| Seen {
            id: r.id,
            at: r.at,
            user: r.user_hsa_id.clone().unwrap_or_default(),
            citizens: named.get(&r.id).cloned().unwrap_or_default(),
        })
        .collect();
    let users: BTreeSet<String> = seen.iter().map(|s| s.user.clone()).collect();
    let pnrs: BTreeSet<String> = seen.iter().flat_map(|s| s.citizens.clone()).collect();
    let staff = q::staff(c, &users)?;
    let citizens = q::citizens(c, &pnrs)?;
    let facts = Facts {
        staff: staff
            .iter()
            .map(|(h, f)| (h.clone(), (f.roles.contains("handler"), f.units.clone())))
            .collect(),
        protected: citizens
            .iter()
            .filter(|(_, f)| f.protected)
            .map(|(p, _)| p.clone())
            .collect(),
        citizen_units: citizens
            .iter()
            .map(|(p, f)| (p.clone(), f.units.clone()))
            .collect(),
    };
    let all = rules::review(&seen, &facts, &settings.thresholds);
    Ok(Scan {
        scanned: rows.len(),
        all,
        users,
        citizens,
    })
}

/// How many findings "entries to look at" shows for its default period (the last
/// [`DEFAULT_DAYS`] days), for the auditor's start page: the number only, no citizen, so nothing
/// is shown that the access log would have to name. More than [`FINDINGS_MAX`] is `MoreThan`.
pub fn count_default_period(
    conn: &mut DbConnection,
    ctx: &Ctx,
    settings: &Settings,
) -> Result<crate::db::page::Count, ServiceError> {
    ctx.require(Access::ReadAuditLog)?;
    let today = today(ctx);
    let from = (today - chrono::Days::new(DEFAULT_DAYS - 1)).to_string();
    let to = today.to_string();
    let (Some(start), Some(end)) = (parse_moment(&from, false), parse_moment(&to, true)) else {
        return Ok(crate::db::page::Count::Exact(0));
    };
    let found = scan(conn, settings, start, end)?;
    Ok(crate::db::page::Count::of(
        found.all.len() as i64,
        FINDINGS_MAX as i64,
    ))
}
