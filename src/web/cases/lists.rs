//! Lists: the case list, the handler's queue, searching a personnummer, the diary.

use super::*;

#[derive(Template)]
#[template(path = "cases/list.html")]
pub(super) struct ListPage {
    l: Layout,
    rows: Vec<CaseItem>,
    pager: Pager,
    statuses: Vec<Choice>,
    can_create: bool,
}

pub(super) async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let status = q.status.clone().filter(|s| !s.is_empty());
    let st = status.clone();
    let offset = Pager::offset(q.sida);
    let (rows, total) = state
        .run(move |c| cases::list(c, &ctx, st.as_deref(), pages::PER_PAGE, offset))
        .await?;
    let statuses = Status::ALL
        .iter()
        .map(|s| Choice {
            value: s.code().into(),
            label: s.label().into(),
            checked: status.as_deref() == Some(s.code()),
        })
        .collect();
    let base = status.map(|s| format!("status={s}")).unwrap_or_default();
    Ok(pages::ok(&ListPage {
        l: staff.layout("Ärenden"),
        rows: rows.iter().map(item).collect(),
        pager: Pager::new(q.sida, total, base),
        statuses,
        can_create: staff.actor.has(Role::Clinician) || staff.actor.has(Role::Manager),
    }))
}

#[derive(Template)]
#[template(path = "cases/queue.html")]
pub(super) struct QueuePage {
    l: Layout,
    rows: Vec<CaseItem>,
    pager: Pager,
}

pub(super) async fn queue(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let offset = Pager::offset(q.sida);
    let (rows, total) = state
        .run(move |c| cases::queue(c, &ctx, pages::PER_PAGE, offset))
        .await?;
    Ok(pages::ok(&QueuePage {
        l: staff.layout("Handläggning"),
        rows: rows.iter().map(item).collect(),
        pager: Pager::new(q.sida, total, String::new()),
    }))
}

#[derive(Template)]
#[template(path = "cases/search.html")]
pub(super) struct SearchPage {
    l: Layout,
    pnr: String,
    searched: Option<String>,
    rows: Vec<CaseItem>,
    errors: FieldErrors,
}

pub(super) async fn search_form(staff: HandlerStaff) -> Result<HttpResponse, AppError> {
    Ok(pages::ok(&SearchPage {
        l: staff.layout("Sök personnummer"),
        pnr: String::new(),
        searched: None,
        rows: vec![],
        errors: FieldErrors::default(),
    }))
}

#[derive(serde::Deserialize)]
pub(super) struct SearchForm {
    #[serde(default)]
    pnr: String,
}

/// The personnummer travels in the POST body, never in the URL.
pub(super) async fn search(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let pnr = form.0.pnr;
    let p2 = pnr.clone();
    match state
        .run(move |c| cases::search_citizen(c, &ctx, &p2))
        .await
    {
        Ok((canon, rows)) => Ok(pages::ok(&SearchPage {
            l: staff.layout("Sök personnummer"),
            pnr: canon.clone(),
            searched: Some(canon),
            rows: rows.iter().map(item).collect(),
            errors: FieldErrors::default(),
        })),
        Err(AppError::Service(ServiceError::Invalid(errors))) => Ok(pages::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SearchPage {
                l: staff.layout("Sök personnummer"),
                pnr,
                searched: None,
                rows: vec![],
                errors,
            },
        )),
        Err(e) => Err(e),
    }
}
