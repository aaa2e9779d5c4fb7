//! The statistics page (issue 11): per month, the locks and unlocks executed by channel, the lead
//! time from submission to execution, the time from an emergency lock to its written form, the
//! share returned for completion, the locks in force at each month's end and the reviews done on
//! time, late, or not at all. No citizen data: counts and durations only, with small counts of a
//! narrow view hidden by `domain::stats`.
//!
//! Who: handlers for the region or any unit; managers and chefläkare for their own units
//! (`Access::Statistics`; a refusal is logged as `access_denied` like every other). Viewing the
//! page is not logged — it shows no citizen, like the diary; downloading a table is
//! (`stats_export`, SPEC §4: every export is logged), with the table and the filter, in the same
//! transaction as the read.

use super::{Access, Ctx, FieldErrors, ServiceError};
use crate::db::stats::{self as q, Units};
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::case::{Channel, Kind};
use crate::domain::stats::{self, Cell, Month, Period, PeriodError, Scope, Table};
use crate::messages;
use chrono::{NaiveDate, NaiveDateTime};

/// The kinds and channels the channel table shows: every channel for locks; unlocks come by the
/// e-service, paper or the intake API (the emergency phone only locks).
pub const EXECUTED_COLUMNS: [(Kind, Channel); 7] = [
    (Kind::Lock, Channel::Eservice),
    (Kind::Lock, Channel::Paper),
    (Kind::Lock, Channel::Emergency),
    (Kind::Lock, Channel::Api),
    (Kind::Unlock, Channel::Eservice),
    (Kind::Unlock, Channel::Paper),
    (Kind::Unlock, Channel::Api),
];

/// What the page is asked for: the period and, perhaps, one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub period: Period,
    pub unit: Option<i64>,
}

impl Filter {
    /// The filter as a query string (`fran=…&till=…[&enhet=…]`): months and a unit id, never a
    /// citizen.
    pub fn query(&self) -> String {
        let mut s = format!("fran={}&till={}", self.period.from, self.period.to);
        if let Some(u) = self.unit {
            s.push_str(&format!("&enhet={u}"));
        }
        s
    }
}

/// Reads the filter as typed (`fran`, `till` as `ÅÅÅÅ-MM`, `enhet` a unit id or empty). Errors
/// name their field; the period falls back to the last twelve months.
pub fn filter(
    from: Option<&str>,
    to: Option<&str>,
    unit: Option<&str>,
    today: NaiveDate,
) -> Result<Filter, (Filter, FieldErrors)> {
    let mut errors = FieldErrors::default();
    let period = match Period::parse(from, to, today) {
        Ok(p) => p,
        Err(list) => {
            for (field, e) in list {
                errors.add(
                    field,
                    match e {
                        PeriodError::NotAMonth => messages::STATS_MONTH,
                        PeriodError::Reversed => messages::STATS_REVERSED,
                        PeriodError::TooLong => messages::STATS_TOO_LONG,
                        PeriodError::Future => messages::STATS_FUTURE,
                    },
                );
            }
            Period::last_year(today)
        }
    };
    let unit = match unit.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.add("enhet", messages::STATS_UNIT);
                None
            }
        },
    };
    let f = Filter { period, unit };
    if errors.is_empty() {
        Ok(f)
    } else {
        Err((f, errors))
    }
}

/// A duration figure of a month: over how many cases, the median and the 90th percentile (in
/// seconds), each None when not shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Durations {
    pub n: Cell,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// One month's figures, as the view may show them.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    pub month: Month,
    /// Executed cases in the order of [`EXECUTED_COLUMNS`].
    pub executed: Vec<Cell>,
    /// Executed locks, all channels (the chart's series).
    pub locks: Cell,
    /// Executed unlocks, all channels.
    pub unlocks: Cell,
    /// Lead time submitted → executed; `n` is the cases executed but the emergency phone's.
    pub lead: Durations,
    /// Emergency lock → written form linked, by the month the form was linked.
    pub form_link: Durations,
    /// Of the cases of `lead.n`, those returned for completion at least once, and their share.
    pub returned: Cell,
    pub returned_share: Option<f64>,
    /// Locks in force at the end of the month (this month: now).
    pub in_force: Cell,
    /// Reviews due in the month: decided by the due date, decided later, not decided and overdue.
    pub reviews_on_time: Cell,
    pub reviews_late: Cell,
    pub reviews_overdue: Cell,
}

/// The page's figures.
#[derive(Debug, Clone)]
pub struct Stats {
    pub filter: Filter,
    pub role: Role,
    pub scope: Scope,
    /// Small counts are hidden (every view narrower than the whole region).
    pub suppressed: bool,
    pub months: Vec<MonthFigures>,
    /// The units the viewer may choose (id, name, code): every unit for a handler, their own
    /// for the others.
    pub units: Vec<(i64, String, String)>,
    /// Swedish today: the current month's "end" is now.
    pub today: NaiveDate,
}

impl Stats {
    /// The units the view counts, by name (empty for the whole region).
    pub fn scope_units(&self) -> Vec<&(i64, String, String)> {
        match &self.scope {
            Scope::Region => vec![],
            Scope::Units(ids) => self.units.iter().filter(|u| ids.contains(&u.0)).collect(),
        }
    }
}

fn today(ctx: &Ctx) -> NaiveDate {
    crate::domain::review::swedish_date(ctx.now)
}

/// The figures for the filter, in one read snapshot.
pub fn statistics(
    conn: &mut DbConnection,
    ctx: &Ctx,
    filter: &Filter,
) -> Result<Stats, ServiceError> {
    let role = ctx.require(Access::Statistics {
        unit_id: filter.unit,
    })?;
    db::read_tx(conn, |c| compute(c, ctx, filter, role))
}

/// The figures for one table's download, and its log entry (`stats_export`: the table and the
/// filter; no citizen), in one transaction.
pub fn export(
    conn: &mut DbConnection,
    ctx: &Ctx,
    filter: &Filter,
    table: Table,
) -> Result<Stats, ServiceError> {
    let role = ctx.require(Access::Statistics {
        unit_id: filter.unit,
    })?;
    db::write_tx(conn, |c| {
        let s = compute(c, ctx, filter, role)?;
        let mut e = ctx.entry(
            Some(role),
            "stats_export",
            Some(format!(
                "statistik/csv?tabell={}&{}",
                table.code(),
                filter.query()
            )),
        );
        e.unit_code = match filter.unit {
            Some(u) => s.units.iter().find(|x| x.0 == u).map(|x| x.2.clone()),
            None => None,
        };
        ctx.log(c, &e)?;
        Ok(s)
    })
}

/// The units the viewer may choose (id, name, code): every unit for a handler, their own for
/// a manager or chefläkare. Asks the policy as the page does (`unit`: the one asked for).
pub fn units(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit: Option<i64>,
) -> Result<Vec<(i64, String, String)>, ServiceError> {
    let role = ctx.require(Access::Statistics { unit_id: unit })?;
    unit_choices(conn, ctx, role)
}

fn unit_choices(
    c: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
) -> Result<Vec<(i64, String, String)>, ServiceError> {
    let actor = ctx.actor()?;
    Ok(crate::db::org::all_units(c)?
        .into_iter()
        .filter(|u| role == Role::Handler || actor.in_unit(u.id))
        .map(|u| (u.id, u.name, u.code))
        .collect())
}

fn compute(
    c: &mut DbConnection,
    ctx: &Ctx,
    filter: &Filter,
    role: Role,
) -> Result<Stats, ServiceError> {
    let actor = ctx.actor()?;
    let units = unit_choices(c, ctx, role)?;
    if let Some(u) = filter.unit
        && !units.iter().any(|x| x.0 == u)
    {
        // A handler's unit that does not exist (the policy refused anyone else's).
        let mut e = FieldErrors::default();
        e.add("enhet", messages::STATS_UNIT);
        return Err(ServiceError::Invalid(e));
    }
    let scope = Scope::of(role, &actor.unit_ids(), filter.unit);
    let suppress = scope.suppresses();
    let which = match &scope {
        Scope::Region => Units::All,
        Scope::Units(ids) => Units::Only(ids),
    };
    let months = filter.period.months();
    let times: Vec<(NaiveDateTime, NaiveDateTime)> = months
        .iter()
        .map(|m| (m.start_utc(), m.next().start_utc()))
        .collect();
    let dates: Vec<(NaiveDate, NaiveDate)> = months
        .iter()
        .map(|m| (m.first_day(), m.next().first_day()))
        .collect();
    let today = today(ctx);
    let span = q::Span {
        times: &times,
        dates: &dates,
    };
    q::tune(c)?;
    let executed = q::executed(c, &span, which)?;
    let lead = q::lead_times(c, &span, which)?;
    let form = q::form_link_times(c, &span, which)?;
    let lifted = q::lifted(c, &span, which)?;
    let at_start = match times.first() {
        Some((start, _)) => q::in_force_at(c, *start, which)?,
        None => 0,
    };
    let done = q::reviews_done(c, &span, which)?;
    let overdue = q::reviews_overdue(c, &span, today, which)?;

    let count_in = |rows: &[q::Counted], i: usize| {
        rows.iter()
            .filter(|r| r.idx == i as i64)
            .map(|r| r.n)
            .sum::<i64>()
    };
    let durations = |rows: &[q::Ranked], i: usize| {
        let mine: Vec<&q::Ranked> = rows.iter().filter(|r| r.idx == i as i64).collect();
        let n = mine.first().map_or(0, |r| r.n);
        let at: Vec<(i64, f64)> = mine.iter().map(|r| (r.rn, r.secs)).collect();
        (n, stats::median_p90(n, &at))
    };
    let mut by_cell: std::collections::HashMap<(i64, &str, &str), (i64, i64)> =
        std::collections::HashMap::new();
    for r in &executed {
        let e = by_cell
            .entry((r.idx, r.kind.as_str(), r.channel.as_str()))
            .or_default();
        *e = (e.0 + r.n, e.1 + r.returned);
    }
    let executed_n = |i: usize, kind: Kind, channel: Channel| {
        by_cell
            .get(&(i as i64, kind.code(), channel.code()))
            .copied()
            .unwrap_or_default()
    };
    let locks_per_month: Vec<i64> = (0..months.len())
        .map(|i| {
            Channel::ALL
                .iter()
                .map(|ch| executed_n(i, Kind::Lock, *ch).0)
                .sum()
        })
        .collect();
    let lifted_per_month: Vec<i64> = (0..months.len()).map(|i| count_in(&lifted, i)).collect();
    let in_force = stats::in_force(at_start, &locks_per_month, &lifted_per_month);

    let figures = months
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let counts: Vec<i64> = EXECUTED_COLUMNS
                .iter()
                .map(|(k, ch)| executed_n(i, *k, *ch).0)
                .collect();
            let of_kind = |kind: Kind| -> Vec<i64> {
                Channel::ALL
                    .iter()
                    .map(|ch| executed_n(i, kind, *ch).0)
                    .collect()
            };
            // The cases a lead time is measured over: every executed one but the emergency
            // phone's, whose counts are the table's other cells.
            let measured: Vec<i64> = EXECUTED_COLUMNS
                .iter()
                .filter(|(_, ch)| *ch != Channel::Emergency)
                .map(|(k, ch)| executed_n(i, *k, *ch).0)
                .collect();
            let returned: i64 = EXECUTED_COLUMNS
                .iter()
                .filter(|(_, ch)| *ch != Channel::Emergency)
                .map(|(k, ch)| executed_n(i, *k, *ch).1)
                .sum();
            let measured_cell = Cell::total(&measured, suppress);
            let (lead_n, lead_v) = durations(&lead, i);
            let (form_n, form_v) = durations(&form, i);
            let (on_time, late) = done
                .iter()
                .filter(|r| r.idx == i as i64)
                .fold((0, 0), |(a, b), r| (a + r.on_time, b + r.late));
            MonthFigures {
                month: *month,
                executed: counts.iter().map(|&n| Cell::count(n, suppress)).collect(),
                locks: Cell::total(&of_kind(Kind::Lock), suppress),
                unlocks: Cell::total(&of_kind(Kind::Unlock), suppress),
                lead: Durations {
                    n: measured_cell,
                    median: stats::derived(lead_n, suppress, lead_v.map(|v| v.0)),
                    p90: stats::derived(lead_n, suppress, lead_v.map(|v| v.1)),
                },
                form_link: Durations {
                    n: Cell::count(form_n, suppress),
                    median: stats::derived(form_n, suppress, form_v.map(|v| v.0)),
                    p90: stats::derived(form_n, suppress, form_v.map(|v| v.1)),
                },
                returned: Cell::count(returned, suppress),
                returned_share: stats::share(returned, measured_cell, suppress),
                in_force: Cell::count(in_force.get(i).copied().unwrap_or_default(), suppress),
                reviews_on_time: Cell::count(on_time, suppress),
                reviews_late: Cell::count(late, suppress),
                reviews_overdue: Cell::count(count_in(&overdue, i), suppress),
            }
        })
        .collect();
    Ok(Stats {
        filter: *filter,
        role,
        suppressed: suppress,
        scope,
        months: figures,
        units,
        today,
    })
}
