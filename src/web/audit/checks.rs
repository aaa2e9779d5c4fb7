//! Spot checks (logguppföljning): the list, the form with "draw a sample", and one check.

use super::*;
use crate::db::audit_search::SpotCheck;
use crate::service::audit::checks::{self as sc, CheckInput};

/// A check as a row of the list.
pub(super) struct CheckItem {
    id: i64,
    made: String,
    by: String,
    period: String,
    scope: String,
    outcome: &'static str,
}

fn item(c: &SpotCheck) -> CheckItem {
    CheckItem {
        id: c.id,
        made: svc::local(&c.created_at),
        by: format!("{} ({})", c.user_name, c.user_hsa_id),
        period: format!("{} – {}", c.period_from, c.period_to),
        scope: c.scope.clone(),
        outcome: sc::outcome_label(&c.outcome),
    }
}

#[derive(Template)]
#[template(path = "audit/checks.html")]
pub(super) struct ChecksPage {
    l: Layout,
    rows: Vec<CheckItem>,
    next: Option<i64>,
    paged: bool,
    saved: bool,
}

#[derive(serde::Deserialize)]
pub(super) struct ChecksQuery {
    fore: Option<i64>,
    sparad: Option<String>,
}

pub(super) async fn checks(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    q: web::Query<ChecksQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let before = q.fore;
    let (rows, next) = state.run(move |c| sc::list(c, &ctx, before)).await?;
    Ok(pages::ok(&ChecksPage {
        l: staff.layout("Logguppföljning"),
        rows: rows.iter().map(item).collect(),
        next,
        paged: before.is_some(),
        saved: q.sparad.is_some(),
    }))
}

#[derive(Template)]
#[template(path = "audit/check_form.html")]
pub(super) struct CheckFormPage {
    l: Layout,
    form: CheckInput,
    outcomes: Vec<Choice>,
    errors: FieldErrors,
    /// The drawn sample (its ids travel back as hidden fields).
    sample: Vec<Row>,
    drawn: bool,
}

fn form_page(staff: &AuditorStaff, form: CheckInput) -> CheckFormPage {
    let outcomes = sc::OUTCOMES
        .iter()
        .map(|(code, label)| Choice {
            value: code.to_string(),
            label: label.to_string(),
            checked: form.outcome == *code,
        })
        .collect();
    CheckFormPage {
        l: staff.layout("Ny logguppföljning"),
        form,
        outcomes,
        errors: FieldErrors::default(),
        sample: vec![],
        drawn: false,
    }
}

pub(super) async fn new_check(
    state: web::Data<AppState>,
    staff: AuditorStaff,
) -> Result<HttpResponse, AppError> {
    let today = svc::local(&crate::db::ts(state.clock.now()));
    let today = today.get(..10).unwrap_or_default().to_string();
    let form = CheckInput {
        from: today.clone(),
        to: today,
        sample_size: "20".into(),
        ..Default::default()
    };
    Ok(pages::ok(&form_page(&staff, form)))
}

#[derive(serde::Deserialize)]
pub(super) struct CheckForm {
    #[serde(flatten)]
    form: CheckInput,
    /// `draw` draws a sample; anything else saves.
    #[serde(default)]
    step: String,
}

pub(super) async fn post_check(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    form: HtmlForm<CheckForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let CheckForm { mut form, step } = form.0;
    let input = form.clone();
    if step == "draw" {
        match state.run(move |c| sc::draw_sample(c, &ctx, &input)).await {
            Ok(rows) => {
                form.sample = rows.iter().map(|r| r.id.to_string()).collect();
                let mut p = form_page(&staff, form);
                p.sample = rows.iter().map(|v| row(v, staff.actor.lang)).collect();
                p.drawn = true;
                Ok(pages::ok(&p))
            }
            Err(AppError::Service(ServiceError::Invalid(errors))) => {
                form.sample.clear();
                let mut p = form_page(&staff, form);
                p.errors = errors;
                Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &p))
            }
            Err(e) => Err(e),
        }
    } else {
        match state.run(move |c| sc::record_check(c, &ctx, &input)).await {
            Ok(id) => Ok(crate::web::view::see_other(format!(
                "/logg/kontroller/{id}?sparad=1"
            ))),
            Err(AppError::Service(ServiceError::Invalid(errors))) => {
                // The sample is shown again as drawn (its entries are read once more, logged).
                let ids = form.sample.clone();
                let ctx = staff.ctx(&state);
                let rows = if ids.is_empty() {
                    vec![]
                } else {
                    state.run(move |c| sc::show_sample(c, &ctx, &ids)).await?
                };
                let mut p = form_page(&staff, form);
                p.sample = rows.iter().map(|v| row(v, staff.actor.lang)).collect();
                p.drawn = !rows.is_empty();
                p.errors = errors;
                Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &p))
            }
            Err(e) => Err(e),
        }
    }
}

#[derive(Template)]
#[template(path = "audit/check.html")]
pub(super) struct CheckPage {
    l: Layout,
    c: CheckItem,
    sample_size: i32,
    findings: String,
    follow_up: String,
    sample: Vec<Row>,
    saved: bool,
}

pub(super) async fn check(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    path: web::Path<i64>,
    q: web::Query<ChecksQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = path.into_inner();
    let (c, rows) = state.run(move |c| sc::open(c, &ctx, id)).await?;
    Ok(pages::ok(&CheckPage {
        l: staff.layout(&format!("Logguppföljning nr {}", c.id)),
        c: item(&c),
        sample_size: c.sample_size,
        findings: c.findings.clone(),
        follow_up: c.follow_up.clone(),
        sample: rows.iter().map(|v| row(v, staff.actor.lang)).collect(),
        saved: q.sparad.is_some(),
    }))
}
