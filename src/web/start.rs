//! The start page (`/`), where login lands: per role, what waits, each count a link to the list
//! of exactly those rows (`service::start`). No citizen data on it.

use super::AppState;
use super::pages::{self, Layout, grouped};
use super::principal::{AsStaff, PageStaff};
use crate::db::page::Count;
use crate::i18n::{Lang, Msg};
use crate::service::start::{self, Tally, Target, Waiting};
use crate::web::error::AppError;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

/// A count with its words and the list behind it.
pub struct Item {
    pub label: String,
    pub count: String,
    pub href: String,
    /// Nothing waits: shown muted.
    pub none: bool,
}

/// A waiting case as a row: its number, kind, unit and age.
pub struct Row {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub unit: String,
    pub days: i64,
    pub overdue: bool,
}

/// A role's part of the page.
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
    /// The oldest waiting cases (handlers), with the table's caption.
    pub tables: Vec<(String, Vec<Row>)>,
    /// Sentences below the counts (the auditor's spot check).
    pub notes: Vec<String>,
    /// Further links (the spot check form).
    pub links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    l: Layout,
    units: Vec<String>,
    sections: Vec<Section>,
}

/// Where a count's list is.
pub fn href(t: &Target) -> String {
    let with = |path: &str, q: String| {
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    };
    match t {
        Target::Cases(f) => with("/arenden", f.query()),
        Target::Queue(s) => with("/handlaggning", s.query()),
        Target::Reviews(r) => with(
            "/omprovningar",
            r.code().map(|c| format!("lage={c}")).unwrap_or_default(),
        ),
        Target::FailedMail => "/admin/post".into(),
        Target::UnfinishedUsers => "/admin/anvandare?urval=ofullstandig".into(),
        Target::Units(c) => format!("/admin/enheter?urval={}", c.code()),
        Target::AuditReview => "/logg/granska".into(),
    }
}

fn count_text(lang: Lang, c: Count) -> (String, bool) {
    match c {
        Count::Exact(n) => (grouped(n), n == 0),
        Count::MoreThan(n) => (
            Msg::key("start-more-than")
                .arg("n", grouped(n))
                .in_lang(lang),
            false,
        ),
    }
}

fn item(lang: Lang, label: String, t: &Tally) -> Item {
    let (count, none) = count_text(lang, t.count);
    Item {
        label,
        count,
        href: href(&t.target),
        none,
    }
}

fn rows(lang: Lang, ws: &[Waiting]) -> Vec<Row> {
    ws.iter()
        .map(|w| Row {
            id: w.id,
            number: w
                .diary_number
                .clone()
                .unwrap_or_else(|| lang.t1("case-number", "id", w.id)),
            kind: crate::web::cases::words::kind(lang, w.kind),
            unit: w.unit_code.clone(),
            days: w.days,
            overdue: w.overdue,
        })
        .collect()
}

fn sections(lang: Lang, s: &start::Start) -> Vec<Section> {
    let t = |k: &str| lang.t(k);
    let tn = |k: &'static str, n: i64| Msg::key(k).arg("n", n).in_lang(lang);
    let mut out = vec![];
    if let Some(h) = &s.handler {
        out.push(Section {
            title: t("start-handler-title"),
            items: vec![
                item(lang, t("start-handler-new"), &h.new_cases),
                item(lang, t("start-handler-forms"), &h.forms),
                item(
                    lang,
                    tn("start-handler-forms-overdue", h.form_every_days),
                    &h.forms_overdue,
                ),
                item(lang, t("start-failed-mail"), &h.failed_mail),
                item(lang, t("start-certificates"), &h.certificates),
            ],
            tables: [
                (t("start-handler-oldest-new"), rows(lang, &h.oldest_new)),
                (t("start-handler-oldest-forms"), rows(lang, &h.oldest_forms)),
            ]
            .into_iter()
            .filter(|(_, r)| !r.is_empty())
            .collect(),
            notes: vec![],
            links: vec![],
        });
    }
    if let Some(u) = &s.unit {
        out.push(Section {
            title: t("start-unit-title"),
            items: vec![
                item(lang, t("start-unit-returned"), &u.returned),
                item(lang, t("start-unit-unsigned"), &u.unsigned_drafts),
                item(lang, t("start-reviews-overdue"), &u.reviews_overdue),
                item(
                    lang,
                    tn("start-reviews-soon", u.review_soon_days),
                    &u.reviews_soon,
                ),
                item(
                    lang,
                    tn("start-unit-feedback", start::FEEDBACK_DAYS as i64),
                    &u.feedback,
                ),
            ],
            tables: vec![],
            notes: vec![],
            links: vec![],
        });
    }
    if let Some(c) = &s.chief {
        out.push(Section {
            title: t("start-chief-title"),
            items: vec![
                item(
                    lang,
                    Msg::key("start-chief-decided")
                        .arg("date", c.month_start.to_string())
                        .in_lang(lang),
                    &c.decided_this_month,
                ),
                item(lang, t("start-reviews-overdue"), &c.reviews_overdue),
            ],
            tables: vec![],
            notes: vec![t("start-chief-notice")],
            links: vec![],
        });
    }
    if let Some(a) = &s.auditor {
        let mut notes = vec![match (a.last_check, a.days_since) {
            (Some(d), Some(n)) => Msg::key("start-audit-last-check")
                .arg("date", d.to_string())
                .arg("n", n)
                .in_lang(lang),
            _ => t("start-audit-no-check"),
        }];
        notes.push(if a.check_due {
            tn("start-audit-check-due", a.spot_check_days)
        } else {
            tn("start-audit-check-ok", a.spot_check_days)
        });
        out.push(Section {
            title: t("start-audit-title"),
            items: vec![item(lang, t("start-audit-findings"), &a.findings)],
            tables: vec![],
            notes,
            links: vec![
                ("/logg/kontroller/ny".into(), t("start-audit-new-check")),
                ("/logg/kontroller".into(), t("start-audit-checks")),
            ],
        });
    }
    if let Some(a) = &s.admin {
        out.push(Section {
            title: t("start-admin-title"),
            items: vec![
                item(lang, t("start-admin-unfinished"), &a.unfinished_users),
                item(lang, t("start-admin-no-manager"), &a.units_without_manager),
                item(
                    lang,
                    t("start-admin-no-certificate"),
                    &a.units_without_certificate,
                ),
                item(lang, t("start-certificates"), &a.certificates),
                item(lang, t("start-failed-mail"), &a.failed_mail),
            ],
            tables: vec![],
            notes: vec![],
            links: vec![],
        });
    }
    out
}

/// The start page, where login lands: the session and the user's sections in one run.
async fn home(state: web::Data<AppState>, who: PageStaff) -> Result<HttpResponse, AppError> {
    let settings = start::Settings::from_config(&state.config);
    let AsStaff {
        staff,
        value: found,
        ..
    } = state
        .run_as(&who, move |c, ctx| start::start(c, ctx, &settings))
        .await?;
    Ok(pages::ok(&StartPage {
        l: staff.page("home-title"),
        units: staff
            .actor
            .units
            .iter()
            .map(|u| format!("{} ({})", u.name, u.code))
            .collect(),
        sections: sections(staff.actor.lang, &found),
    }))
}
