//! The statistics page (`/statistik`) and its tables as CSV (`/statistik/csv?tabell=…`), both
//! filtered by period and unit in the query string (months and a unit id, never a citizen). Each
//! table is drawn as an SVG bar chart with a text summary beside it; the CSV holds the same cells
//! as the page, small counts hidden the same way (`domain::stats`).

mod chart;

use crate::domain::case::{Channel, Kind};
use crate::domain::csv;
use crate::domain::stats::{Cell, THRESHOLD, Table};
use crate::i18n::{Arg, Lang};
use crate::service::stats::{self as svc, EXECUTED_COLUMNS, Filter, MonthFigures, Stats};
use crate::service::{FieldErrors, ServiceError};
use crate::web::error::AppError;
use crate::web::pages::{self, Layout, grouped};
use crate::web::view::Choice;
use crate::web::{AppState, Staff};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chart::{Chart, Series, Value};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/statistik", web::get().to(page))
        .route("/statistik/csv", web::get().to(download));
}

/// The query of both routes.
#[derive(serde::Deserialize, Default)]
pub(super) struct StatsQuery {
    fran: Option<String>,
    till: Option<String>,
    enhet: Option<String>,
    /// The table to download.
    tabell: Option<String>,
}

/// A cell of a table, typed; worded for the page or the CSV.
#[derive(Debug, Clone, Copy)]
enum Val {
    Count(Cell),
    Hours(Option<f64>),
    Days(Option<f64>),
    Percent(Option<f64>),
}

/// A decimal number in the page's language: `12,5` in Swedish, `12.5` in English.
fn decimal(lang: Lang, v: f64) -> String {
    let s = format!("{v:.1}");
    match lang {
        Lang::Sv => s.replace('.', ","),
        Lang::En => s,
    }
}

impl Val {
    /// As written in a cell: counts grouped by thousands on the page, bare in the CSV (so that a
    /// spreadsheet reads a number).
    fn text(self, lang: Lang, for_csv: bool) -> String {
        let opt = |v: Option<f64>| v.map_or("–".to_string(), |x| decimal(lang, x));
        match self {
            Val::Count(Cell::Exact(n)) if for_csv => n.to_string(),
            Val::Count(Cell::Exact(n)) => grouped(n),
            Val::Count(Cell::Under5) => format!("< {THRESHOLD}"),
            Val::Count(Cell::AtLeast5) => format!("≥ {THRESHOLD}"),
            Val::Hours(v) => opt(v.map(|s| s / 3600.0)),
            Val::Days(v) => opt(v.map(|s| s / 86400.0)),
            Val::Percent(v) => opt(v.map(|s| s * 100.0)),
        }
    }

    /// As the chart draws it.
    fn value(self) -> Value {
        match self {
            Val::Count(Cell::Exact(n)) => Value::Exact(n as f64),
            Val::Count(_) => Value::Inexact,
            Val::Hours(v) => v.map_or(Value::Missing, |s| Value::Exact(s / 3600.0)),
            Val::Days(v) => v.map_or(Value::Missing, |s| Value::Exact(s / 86400.0)),
            Val::Percent(v) => v.map_or(Value::Missing, |s| Value::Exact(s * 100.0)),
        }
    }
}

/// A table of the page: its columns (after the month) and one row per month; `charted` names
/// the columns the chart draws.
struct Grid {
    columns: Vec<String>,
    rows: Vec<(String, Vec<Val>)>,
    charted: Vec<usize>,
}

fn channel_name(lang: Lang, ch: Channel) -> String {
    lang.t(&format!("stats-channel-{}", ch.code()))
}

fn kind_name(lang: Lang, k: Kind) -> String {
    lang.t(&format!("stats-kind-{}", k.code()))
}

fn grid(s: &Stats, table: Table, lang: Lang) -> Grid {
    let t = |k: &str| lang.t(k);
    let rows = |f: &dyn Fn(&MonthFigures) -> Vec<Val>| -> Vec<(String, Vec<Val>)> {
        s.months
            .iter()
            .map(|m| (m.month.to_string(), f(m)))
            .collect()
    };
    match table {
        Table::Executed => {
            let mut columns: Vec<String> = EXECUTED_COLUMNS
                .iter()
                .map(|(k, ch)| format!("{}: {}", kind_name(lang, *k), channel_name(lang, *ch)))
                .collect();
            columns.push(t("stats-col-locks"));
            columns.push(t("stats-col-unlocks"));
            let last = columns.len();
            Grid {
                columns,
                rows: rows(&|m| {
                    let mut v: Vec<Val> = m.executed.iter().map(|c| Val::Count(*c)).collect();
                    v.push(Val::Count(m.locks));
                    v.push(Val::Count(m.unlocks));
                    v
                }),
                charted: vec![last - 2, last - 1],
            }
        }
        Table::LeadTime | Table::FormLink => {
            let lead = table == Table::LeadTime;
            let unit = if lead { "hours" } else { "days" };
            Grid {
                columns: vec![
                    t("stats-col-cases"),
                    t(&format!("stats-col-median-{unit}")),
                    t(&format!("stats-col-p90-{unit}")),
                ],
                rows: rows(&|m| {
                    let d = if lead { m.lead } else { m.form_link };
                    let v = |x| if lead { Val::Hours(x) } else { Val::Days(x) };
                    vec![Val::Count(d.n), v(d.median), v(d.p90)]
                }),
                charted: vec![1, 2],
            }
        }
        Table::Returned => Grid {
            columns: vec![
                t("stats-col-cases"),
                t("stats-col-returned"),
                t("stats-col-share"),
            ],
            rows: rows(&|m| {
                vec![
                    Val::Count(m.lead.n),
                    Val::Count(m.returned),
                    Val::Percent(m.returned_share),
                ]
            }),
            charted: vec![2],
        },
        Table::InForce => Grid {
            columns: vec![t("stats-col-in-force")],
            rows: rows(&|m| vec![Val::Count(m.in_force)]),
            charted: vec![0],
        },
        Table::Reviews => Grid {
            columns: vec![
                t("stats-col-on-time"),
                t("stats-col-late"),
                t("stats-col-overdue"),
            ],
            rows: rows(&|m| {
                vec![
                    Val::Count(m.reviews_on_time),
                    Val::Count(m.reviews_late),
                    Val::Count(m.reviews_overdue),
                ]
            }),
            charted: vec![0, 1, 2],
        },
    }
}

/// One section of the page: a table with its chart, summary and CSV link.
pub(super) struct Section {
    id: &'static str,
    title: String,
    about: String,
    chart: Chart,
    summary: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    csv: String,
}

fn args(lang: Lang, key: &str, a: &[(&'static str, String)]) -> String {
    let a: Vec<(&'static str, Arg)> = a.iter().map(|(k, v)| (*k, Arg::Str(v.clone()))).collect();
    lang.t_args(key, &a)
}

/// The text a screen reader (and anyone) reads for a chart: per series, the latest month and
/// the highest shown exactly, and how many months are not shown exactly or not at all.
fn summary(lang: Lang, title: &str, s: &Stats, g: &Grid) -> String {
    let from = s.filter.period.from.to_string();
    let to = s.filter.period.to.to_string();
    let mut out = vec![args(
        lang,
        "stats-summary-intro",
        &[("title", title.to_string()), ("from", from), ("to", to)],
    )];
    for &col in &g.charted {
        let name = g.columns.get(col).cloned().unwrap_or_default();
        let vals: Vec<(&String, Val)> = g
            .rows
            .iter()
            .filter_map(|(m, v)| v.get(col).map(|x| (m, *x)))
            .collect();
        let exact: Vec<(&String, f64, Val)> = vals
            .iter()
            .filter_map(|(m, v)| match v.value() {
                Value::Exact(x) => Some((*m, x, *v)),
                _ => None,
            })
            .collect();
        let max = exact.iter().copied().filter(|x| x.1 > 0.0).fold(
            None,
            |best: Option<(&String, f64, Val)>, x| match best {
                Some(b) if b.1 >= x.1 => Some(b),
                _ => Some(x),
            },
        );
        let Some((latest_month, latest)) = vals.last() else {
            continue;
        };
        let inexact = vals
            .iter()
            .filter(|(_, v)| v.value() == Value::Inexact)
            .count();
        let missing = vals
            .iter()
            .filter(|(_, v)| v.value() == Value::Missing)
            .count();
        if missing == vals.len() {
            out.push(args(lang, "stats-summary-empty", &[("series", name)]));
            continue;
        }
        out.push(args(
            lang,
            "stats-summary-latest",
            &[
                ("series", name),
                ("latest", latest.text(lang, false)),
                ("month", latest_month.to_string()),
            ],
        ));
        if let Some((m, _, v)) = max {
            out.push(args(
                lang,
                "stats-summary-max",
                &[("max", v.text(lang, false)), ("month", m.to_string())],
            ));
        }
        if inexact > 0 {
            out.push(lang.t_args("stats-summary-inexact", &[("n", Arg::Num(inexact as i64))]));
        }
        if missing > 0 {
            out.push(lang.t_args("stats-summary-missing", &[("n", Arg::Num(missing as i64))]));
        }
    }
    out.join(" ")
}

fn csv_href(s: &Stats, table: Table) -> String {
    format!(
        "/statistik/csv?tabell={}&{}",
        table.code(),
        s.filter.query()
    )
}

fn section(s: &Stats, table: Table, lang: Lang) -> Section {
    let g = grid(s, table, lang);
    let key = table.code();
    let title = lang.t(&format!("stats-{key}-title"));
    let (axis, integers) = match table {
        Table::LeadTime => (lang.t("stats-axis-hours"), false),
        Table::FormLink => (lang.t("stats-axis-days"), false),
        Table::Returned => (lang.t("stats-axis-percent"), false),
        _ => (lang.t("stats-axis-count"), true),
    };
    let categories: Vec<String> = g.rows.iter().map(|(m, _)| m.clone()).collect();
    let series = g
        .charted
        .iter()
        .map(|&col| Series {
            name: g.columns.get(col).cloned().unwrap_or_default(),
            values: g
                .rows
                .iter()
                .map(|(_, v)| v.get(col).map_or(Value::Missing, |x| x.value()))
                .collect(),
        })
        .collect();
    let chart = chart::bars(
        key,
        title.clone(),
        axis,
        &categories,
        series,
        THRESHOLD as f64,
        integers,
        |v| {
            if integers {
                grouped(v.round() as i64)
            } else {
                decimal(lang, v)
            }
        },
        lang.t("stats-chart-inexact"),
    );
    Section {
        id: key,
        about: lang.t(&format!("stats-{key}-about")),
        summary: summary(lang, &title, s, &g),
        title,
        chart,
        rows: g
            .rows
            .iter()
            .map(|(m, v)| (m.clone(), v.iter().map(|x| x.text(lang, false)).collect()))
            .collect(),
        columns: g.columns,
        csv: csv_href(s, table),
    }
}

/// The table as CSV: BOM, `;`, CRLF, every field quoted (`domain::csv`), the same cells as the
/// page (small counts as "< 5"). The file name says the table, the months and the unit.
fn csv_text(s: &Stats, table: Table, lang: Lang) -> String {
    let g = grid(s, table, lang);
    let mut out = String::from(csv::BOM);
    let mut header = vec![lang.t("stats-col-month")];
    header.extend(g.columns.iter().cloned());
    out.push_str(&csv::record(&header));
    for (m, v) in &g.rows {
        let mut rec = vec![m.clone()];
        rec.extend(v.iter().map(|x| x.text(lang, true)));
        out.push_str(&csv::record(&rec));
    }
    out
}

#[derive(Template)]
#[template(path = "stats/page.html")]
pub(super) struct StatsPage {
    l: Layout,
    errors: FieldErrors,
    from: String,
    to: String,
    /// The months shown, `ÅÅÅÅ-MM – ÅÅÅÅ-MM`.
    period: String,
    units: Vec<Choice>,
    /// The first option: the whole region (handlers) or all one's units.
    all_label: String,
    /// What the view counts, in words.
    scope: String,
    suppressed: bool,
    sections: Vec<Section>,
    today: String,
}

fn scope_text(lang: Lang, s: &Stats) -> String {
    let units = s.scope_units();
    if units.is_empty() && !s.suppressed {
        return lang.t("stats-scope-region");
    }
    let names = units
        .iter()
        .map(|u| format!("{} ({})", u.1, u.2))
        .collect::<Vec<_>>()
        .join(", ");
    args(lang, "stats-scope-units", &[("units", names)])
}

fn page_of(
    staff: &Staff,
    q: &StatsQuery,
    units: &[(i64, String, String)],
    stats: Option<&Stats>,
    errors: FieldErrors,
) -> StatsPage {
    let lang = staff.actor.lang;
    let handler = staff.actor.has(crate::domain::Role::Handler);
    let chosen = stats
        .and_then(|s| s.filter.unit)
        .or_else(|| q.enhet.as_deref().and_then(|u| u.trim().parse().ok()));
    let units = units
        .iter()
        .map(|(id, name, code)| Choice {
            value: id.to_string(),
            label: format!("{name} ({code})"),
            checked: chosen == Some(*id),
        })
        .collect();
    let value = |v: &Option<String>, fallback: Option<String>| {
        v.clone()
            .filter(|s| !s.trim().is_empty())
            .or(fallback)
            .unwrap_or_default()
    };
    StatsPage {
        l: staff.page("stats-title"),
        from: value(&q.fran, stats.map(|s| s.filter.period.from.to_string())),
        to: value(&q.till, stats.map(|s| s.filter.period.to.to_string())),
        period: stats
            .map(|s| format!("{} – {}", s.filter.period.from, s.filter.period.to))
            .unwrap_or_default(),
        units,
        all_label: lang.t(if handler {
            "stats-unit-region"
        } else {
            "stats-unit-own"
        }),
        scope: stats.map(|s| scope_text(lang, s)).unwrap_or_default(),
        suppressed: stats.is_some_and(|s| s.suppressed),
        sections: stats
            .map(|s| Table::ALL.iter().map(|t| section(s, *t, lang)).collect())
            .unwrap_or_default(),
        today: stats.map(|s| s.today.to_string()).unwrap_or_default(),
        errors,
    }
}

fn filter_of(q: &StatsQuery, ctx: &crate::service::Ctx) -> Result<Filter, (Filter, FieldErrors)> {
    svc::filter(
        q.fran.as_deref(),
        q.till.as_deref(),
        q.enhet.as_deref(),
        crate::domain::review::swedish_date(ctx.now),
    )
}

pub(super) async fn page(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let (filter, errors) = match filter_of(&q, &ctx) {
        Ok(f) => (f, FieldErrors::default()),
        Err((f, e)) => (f, e),
    };
    let result = if errors.is_empty() {
        state.run(move |c| svc::statistics(c, &ctx, &filter)).await
    } else {
        Err(AppError::Service(ServiceError::Invalid(errors)))
    };
    match result {
        Ok(stats) => Ok(pages::ok(&page_of(
            &staff,
            &q,
            &stats.units,
            Some(&stats),
            FieldErrors::default(),
        ))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            // The form again with the errors beside the fields, no figures. The policy decides
            // first, whatever was typed (a refusal is logged).
            let ctx = staff.ctx(&state);
            let units = state.run(move |c| svc::units(c, &ctx, filter.unit)).await?;
            let p = page_of(&staff, &q, &units, None, errors);
            Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let lang = staff.actor.lang;
    let filter = match filter_of(&q, &ctx) {
        Ok(f) => f,
        Err((f, _)) => {
            state
                .authorize(&ctx, crate::service::Access::Statistics { unit_id: f.unit })
                .await?;
            return Err(AppError::BadRequest("period or unit".into()));
        }
    };
    let table = q
        .tabell
        .as_deref()
        .and_then(Table::parse)
        .ok_or_else(|| AppError::BadRequest("tabell".into()))?;
    let stats = state
        .run(move |c| svc::export(c, &ctx, &filter, table))
        .await?;
    let unit = stats
        .filter
        .unit
        .and_then(|u| stats.units.iter().find(|x| x.0 == u))
        .map(|x| format!("-{}", x.2))
        .unwrap_or_default();
    // The file name: table, months and the unit's code (letters, digits, '-' only).
    let name: String = format!(
        "statistik-{}-{}-{}{unit}.csv",
        table.code(),
        stats.filter.period.from,
        stats.filter.period.to
    )
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            c
        } else {
            '_'
        }
    })
    .collect();
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(csv_text(&stats, table, lang)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys this page builds from codes (`stats-<table>-title`, `stats-channel-<code>`, …)
    /// are in both catalogs (the catalog test sees only literal keys).
    #[test]
    fn built_keys_are_in_the_catalog() {
        let mut keys = vec![];
        for t in Table::ALL {
            keys.push(format!("stats-{}-title", t.code()));
            keys.push(format!("stats-{}-about", t.code()));
        }
        for (k, ch) in EXECUTED_COLUMNS {
            keys.push(format!("stats-kind-{}", k.code()));
            keys.push(format!("stats-channel-{}", ch.code()));
        }
        keys.push("stats-unit-region".into());
        keys.push("stats-unit-own".into());
        for unit in ["hours", "days"] {
            keys.push(format!("stats-col-median-{unit}"));
            keys.push(format!("stats-col-p90-{unit}"));
        }
        for lang in Lang::ALL {
            for k in &keys {
                assert_ne!(lang.t(k), *k, "{k} is missing in {}", lang.code());
            }
        }
    }

    #[test]
    fn cells_are_worded_for_the_page_and_the_csv() {
        assert_eq!(
            Val::Count(Cell::Exact(12345)).text(Lang::Sv, false),
            "12 345"
        );
        assert_eq!(Val::Count(Cell::Exact(12345)).text(Lang::Sv, true), "12345");
        assert_eq!(Val::Count(Cell::Under5).text(Lang::En, true), "< 5");
        assert_eq!(Val::Count(Cell::AtLeast5).text(Lang::Sv, false), "≥ 5");
        assert_eq!(Val::Hours(Some(5400.0)).text(Lang::Sv, false), "1,5");
        assert_eq!(Val::Hours(Some(5400.0)).text(Lang::En, true), "1.5");
        assert_eq!(Val::Days(Some(86400.0 * 2.26)).text(Lang::Sv, true), "2,3");
        assert_eq!(Val::Percent(Some(0.125)).text(Lang::Sv, false), "12,5");
        assert_eq!(Val::Percent(None).text(Lang::Sv, false), "–");
    }
}
