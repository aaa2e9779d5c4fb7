//! The log search, its export, and a citizen's extract.

use super::*;

#[derive(Template)]
#[template(path = "audit/search.html")]
pub(super) struct SearchPage {
    l: Layout,
    q: SearchInput,
    units: Vec<Choice>,
    roles: Vec<Choice>,
    errors: FieldErrors,
    /// None before a search.
    result: Option<Found>,
    /// The count's cap as shown ("fler än 1 000").
    cap: String,
}

pub(super) struct Found {
    rows: Vec<Row>,
    next: Option<i64>,
    /// The page is not the first.
    paged: bool,
    matched: i64,
    capped: bool,
}

fn page(staff: &AuditorStaff, q: SearchInput, units: Vec<(String, String)>) -> SearchPage {
    let units = units
        .into_iter()
        .map(|(code, name)| Choice {
            checked: code == q.unit,
            label: format!("{name} ({code})"),
            value: code,
        })
        .collect();
    SearchPage {
        l: staff.layout("Sök i åtkomstloggen"),
        roles: role_choices(&q.role),
        units,
        q,
        errors: FieldErrors::default(),
        result: None,
        cap: pages::grouped(svc::COUNT_CAP),
    }
}

pub(super) async fn search_form(
    state: web::Data<AppState>,
    staff: AuditorStaff,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let units = state.run(move |c| svc::units(c, &ctx)).await?;
    Ok(pages::ok(&page(&staff, SearchInput::default(), units)))
}

#[derive(serde::Deserialize)]
pub(super) struct SearchForm {
    #[serde(flatten)]
    q: SearchInput,
    /// The cursor: entries older than this id (the next page).
    #[serde(default)]
    before: String,
}

/// The criteria (and the page's cursor) come in the POST body; so does the personnummer.
pub(super) async fn search(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    form: HtmlForm<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let SearchForm { q, before } = form.0;
    let before = before.trim().parse::<i64>().ok();
    let input = q.clone();
    // The unit choices and the search in one run. Criteria that do not hold come back with the
    // form; any other error (a refusal, which `run` logs) is the error page.
    let (units, result) = state
        .run(move |c| {
            let units = svc::units(c, &ctx)?;
            match svc::search(c, &ctx, &input, before) {
                Err(ServiceError::Invalid(errors)) => Ok((units, Err(errors))),
                Err(e) => Err(e),
                Ok(found) => Ok((units, Ok(found))),
            }
        })
        .await?;
    let mut p = page(&staff, q, units);
    match result {
        Ok(found) => {
            p.result = Some(Found {
                rows: found
                    .rows
                    .iter()
                    .map(|v| row(v, staff.actor.lang))
                    .collect(),
                next: found.next,
                paged: before.is_some(),
                matched: found.matched.min(svc::COUNT_CAP),
                capped: found.matched > svc::COUNT_CAP,
            });
            Ok(pages::ok(&p))
        }
        Err(errors) => {
            p.errors = errors;
            Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
    }
}

/// The whole search (up to the cap) as CSV.
pub(super) async fn export(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    form: HtmlForm<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let lang = staff.actor.lang;
    let q = form.0.q;
    let name = format!(
        "logg-{}.csv",
        svc::local(&crate::db::ts(ctx.now)).replace([' ', ':'], "-")
    );
    download(&state, &name, move |c, out| {
        svc::export(c, &ctx, &q, lang, out)
    })
    .await
}

#[derive(Template)]
#[template(path = "audit/extract.html")]
pub(super) struct ExtractPage {
    l: Layout,
    pnr: String,
    errors: FieldErrors,
    /// The citizen shown (`ÅÅÅÅMMDD-NNNN`) and their name, after a search.
    citizen: Option<CitizenItem>,
    rows: Vec<Row>,
    capped: bool,
    page_cap: i64,
    made: String,
    by: String,
}

fn extract_page(staff: &AuditorStaff, pnr: String) -> ExtractPage {
    ExtractPage {
        l: staff.layout("Loggutdrag för en invånare"),
        pnr,
        errors: FieldErrors::default(),
        citizen: None,
        rows: vec![],
        capped: false,
        page_cap: svc::EXTRACT_PAGE_CAP,
        made: String::new(),
        by: format!("{} ({})", staff.actor.name, staff.actor.hsa_id),
    }
}

pub(super) async fn extract_form(staff: AuditorStaff) -> Result<HttpResponse, AppError> {
    Ok(pages::ok(&extract_page(&staff, String::new())))
}

#[derive(serde::Deserialize)]
pub(super) struct PnrForm {
    #[serde(default)]
    pnr: String,
}

pub(super) async fn extract(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    form: HtmlForm<PnrForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let now = crate::db::ts(ctx.now);
    let pnr = form.0.pnr;
    let p2 = pnr.clone();
    let mut p = extract_page(&staff, pnr);
    match state.run(move |c| svc::extract(c, &ctx, &p2)).await {
        Ok(x) => {
            p.pnr = pnr_display(&x.pnr);
            p.citizen = Some(CitizenItem {
                pnr: pnr_display(&x.pnr),
                name: x.name,
            });
            p.rows = x.rows.iter().map(|v| row(v, staff.actor.lang)).collect();
            p.capped = x.capped;
            p.made = svc::local(&now);
            // Printed, the extract carries the citizen in its header and the auditor and the
            // time of this (logged) extract in its footer, on every sheet.
            let header = p.l.t1("paper-print-extract-header", "citizen", &p.pnr);
            p.l.print = Some(pages::PrintMarks::by(p.l.lang, header, &staff.actor, &now));
            Ok(pages::ok(&p))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            p.errors = errors;
            Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn extract_csv(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    form: HtmlForm<PnrForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let pnr = form.0.pnr;
    let name = format!(
        "loggutdrag-{}.csv",
        svc::local(&crate::db::ts(ctx.now)).replace([' ', ':'], "-")
    );
    download(&state, &name, move |c, out| {
        svc::extract_csv(c, &ctx, &pnr, out)
    })
    .await
}
