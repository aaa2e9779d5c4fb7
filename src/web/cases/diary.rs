//! The diary (SPEC §4): registered cases of a year by number, with the registration date, the
//! type, the channel and an unlock's reference to its lock. No citizen data, so it can be printed
//! or handed out: one page at a time (keyset, `efter`), or the whole year in a print view.

use super::*;
use crate::service::cases::{DiaryLine, DiaryStretch};

/// A diary line as shown.
pub struct DiaryRow {
    pub number: String,
    pub registered: String,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub reference: String,
}

fn row(lang: crate::i18n::Lang, d: &DiaryLine) -> DiaryRow {
    DiaryRow {
        number: d.number.clone(),
        registered: d.registered.map(|x| x.to_string()).unwrap_or_default(),
        kind: words::kind(lang, d.kind),
        channel: words::channel(lang, d.channel),
        status: words::status(lang, d.status),
        reference: d.reference.clone().unwrap_or_default(),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct DiaryQuery {
    ar: Option<i32>,
    /// The diary sequence the page starts after.
    efter: Option<i64>,
}

#[derive(Template)]
#[template(path = "cases/diary.html")]
pub(super) struct DiaryPage {
    l: Layout,
    year: i32,
    rows: Vec<DiaryRow>,
    total: i64,
    first_page: bool,
    next: Option<i64>,
}

#[derive(Template)]
#[template(path = "cases/diary_print.html")]
pub(super) struct DiaryPrint {
    l: Layout,
    year: i32,
    rows: Vec<DiaryRow>,
    total: i64,
    printed: String,
}

fn year_of(ctx: &crate::service::Ctx, q: Option<i32>) -> i32 {
    q.filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| cases::swedish_today(ctx).year())
}

pub(super) async fn diary(
    state: web::Data<AppState>,
    who: PageStaff,
    q: web::Query<DiaryQuery>,
) -> Result<HttpResponse, AppError> {
    let (asked, after) = (q.ar, q.efter);
    let AsStaff {
        staff,
        value: (year, stretch),
        ..
    } = state
        .run_as(&who, move |c, ctx| {
            let year = year_of(ctx, asked);
            cases::diary_page(c, ctx, year, after, pages::PER_PAGE).map(|s| (year, s))
        })
        .await?;
    let DiaryStretch {
        lines,
        total,
        next_after,
    } = stretch;
    let mut l = staff.layout("");
    l.title = format!("{} {year}", l.t("rules-diary-title"));
    Ok(pages::ok(&DiaryPage {
        l,
        year,
        rows: lines.iter().map(|d| row(staff.actor.lang, d)).collect(),
        total,
        first_page: after.is_none(),
        next: next_after,
    }))
}

/// The whole year on one page, for printing.
pub(super) async fn diary_print(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<DiaryQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let ctx_now = ctx.now;
    let year = year_of(&ctx, q.ar);
    let printed = local_time(&crate::db::ts(ctx.now));
    let stretch = state.run(move |c| cases::diary_year(c, &ctx, year)).await?;
    let mut l = staff.layout("");
    l.title = format!("{} {year}", l.t("rules-diary-title"));
    l.print = Some(pages::PrintMarks::by(
        l.lang,
        l.title.clone(),
        &staff.actor,
        &crate::db::ts(ctx_now),
    ));
    Ok(pages::ok(&DiaryPrint {
        l,
        year,
        rows: stretch
            .lines
            .iter()
            .map(|d| row(staff.actor.lang, d))
            .collect(),
        total: stretch.total,
        printed,
    }))
}

/// The year's diary as CSV for Swedish Excel (`domain::csv`): the columns of the page. No citizen
/// data (SPEC §4), so, like the page, it writes no access-log entry.
pub(super) async fn diary_csv(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<DiaryQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::csv;
    let ctx = staff.ctx(&state);
    let year = year_of(&ctx, q.ar);
    let stretch = state.run(move |c| cases::diary_year(c, &ctx, year)).await?;
    let l = staff.layout("");
    let mut body = String::from(csv::BOM);
    body.push_str(&csv::record(&[
        l.t("rules-diary-col-number"),
        l.t("rules-diary-col-date"),
        l.t("rules-diary-col-kind"),
        l.t("rules-diary-col-reference"),
        l.t("rules-diary-col-channel"),
        l.t("rules-diary-col-status"),
    ]));
    let refers = l.t("rules-diary-refers-to");
    let lang = staff.actor.lang;
    for r in stretch.lines.iter().map(|d| row(lang, d)) {
        let reference = if r.reference.is_empty() {
            String::new()
        } else {
            format!("{refers} {}", r.reference)
        };
        body.push_str(&csv::record(&[
            r.number.as_str(),
            r.registered.as_str(),
            r.kind.as_str(),
            reference.as_str(),
            r.channel.as_str(),
            r.status.as_str(),
        ]));
    }
    Ok(crate::web::download::csv_file(
        body,
        &format!("diarium-{year}.csv"),
    ))
}
