//! Case screens: lists, the case form, the case page with its actions, the handler's queue,
//! search, emergency calls, paper forms and the diary.

use super::admin::Choice;
use super::pages::{self, Layout, Pager};
use super::{AppState, HandlerStaff, HtmlForm, Staff};
use crate::db::models::CaseRow;
use crate::domain::case::{Kind, Status};
use crate::domain::grounds::{self, BASIS, NOT_INFORMED, REQUESTED_BY, RISKS, SITUATIONS};
use crate::domain::{Personnummer, Role};
use crate::error::AppError;
use crate::service::cases::{self, CallInput, CaseInput, CaseView, ExecuteInput};
use crate::service::{Access, FieldErrors, ServiceError};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDateTime};
use chrono_tz::Europe::Stockholm;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/arenden", web::get().to(list))
        .route("/arenden/ny", web::get().to(new_form))
        .route("/arenden/ny", web::post().to(create))
        .route("/arenden/{id}", web::get().to(show))
        .route("/arenden/{id}/visa-namn", web::post().to(reveal))
        .route("/arenden/{id}/andra", web::get().to(edit_form))
        .route("/arenden/{id}/andra", web::post().to(update))
        .route("/arenden/{id}/blankett", web::get().to(link_form_page))
        .route("/arenden/{id}/blankett", web::post().to(link_form))
        .route("/arenden/{id}/omprovning", web::get().to(review_form))
        .route("/arenden/{id}/omprovning", web::post().to(review))
        .route("/omprovningar", web::get().to(reviews))
        .route("/arenden/{id}/bilagor", web::post().to(upload))
        .route("/arenden/{id}/bilagor/{aid}", web::get().to(download))
        .route("/arenden/{id}/{action}", web::post().to(act))
        .route("/handlaggning", web::get().to(queue))
        .route("/sok", web::get().to(search_form))
        .route("/sok", web::post().to(search))
        .route("/nodtelefon", web::get().to(call_form))
        .route("/nodtelefon", web::post().to(call))
        .route("/blankett", web::get().to(paper_form))
        .route("/blankett", web::post().to(paper))
        .route("/diarium", web::get().to(diary));
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to))
        .finish()
}

pub fn local_time(t: &NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn pnr_display(digits: &str) -> String {
    Personnummer::display_digits(digits)
}

/// A case as a row of a list: the name is masked for protected citizens.
pub struct CaseItem {
    pub id: i64,
    pub kind: &'static str,
    pub status: &'static str,
    pub pnr: String,
    pub name: String,
    pub diary: String,
    pub updated: String,
    pub submitted: String,
    pub channel: &'static str,
}

fn channel_label(c: &str) -> &'static str {
    match c {
        "paper" => "Pappersblankett",
        "emergency" => "Nödtelefon",
        "api" => "E-tjänst (intag)",
        _ => "Kontospärr",
    }
}

fn item(r: &CaseRow) -> CaseItem {
    CaseItem {
        id: r.id,
        kind: r.kind.parse::<Kind>().map(|k| k.label()).unwrap_or(""),
        status: r.status.parse::<Status>().map(|s| s.label()).unwrap_or(""),
        pnr: pnr_display(&r.citizen_pnr),
        name: if r.citizen_protected {
            "*****".into()
        } else {
            r.citizen_name.clone()
        },
        diary: r.diary_number.clone().unwrap_or_default(),
        updated: local_time(&r.updated_at),
        submitted: r.submitted_at.as_ref().map(local_time).unwrap_or_default(),
        channel: channel_label(&r.channel),
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
    sida: Option<i64>,
    typ: Option<String>,
    ar: Option<i32>,
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<CaseItem>,
    pager: Pager,
    statuses: Vec<Choice>,
    can_create: bool,
}

async fn list(
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

/// What the case form needs to render.
#[derive(Template)]
#[template(path = "cases/form.html")]
struct FormPage {
    l: Layout,
    /// "create", "edit", "paper" or "link".
    mode: &'static str,
    action: String,
    form: CaseInput,
    errors: FieldErrors,
    units: Vec<Choice>,
    members: Vec<Choice>,
    providers: Vec<Choice>,
    locks: Vec<Choice>,
    risks: Vec<Choice>,
    basis: Vec<Choice>,
    situations: Vec<Choice>,
    requested_by: Vec<Choice>,
    not_informed: Vec<Choice>,
    is_lock: bool,
    notice: Option<String>,
}

fn opts(choices: grounds::Choices, selected: &[String]) -> Vec<Choice> {
    choices
        .iter()
        .map(|(c, l)| Choice {
            value: (*c).into(),
            label: (*l).into(),
            checked: selected.iter().any(|s| s == c),
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    mode: &'static str,
    action: String,
    form: CaseInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let unit = form.unit_id.parse::<i64>().ok();
    let pnr = form.citizen_pnr.clone();
    let kind = form.kind.clone();
    let ch = state
        .run(move |c| cases::form_choices(c, &ctx, unit, &kind, &pnr))
        .await?;
    let units = ch
        .units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.code),
            checked: form.unit_id == u.id.to_string(),
        })
        .collect();
    let members = ch
        .members
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
            checked: form.review_responsible_user_id == u.id.to_string(),
        })
        .collect();
    let mut providers = vec![Choice {
        value: "region".into(),
        label: "Regionen".into(),
        checked: form.care_provider.is_empty() || form.care_provider == "region",
    }];
    providers.extend(ch.providers.iter().map(|p| Choice {
        value: p.id.to_string(),
        label: format!("{} ({})", p.name, p.org_number),
        checked: form.care_provider == p.id.to_string(),
    }));
    let locks = ch
        .locks
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: format!(
                "{} – låsning, {}",
                c.diary_number.clone().unwrap_or_default(),
                c.status.parse::<Status>().map(|s| s.label()).unwrap_or("")
            ),
            checked: form.related_case_id == c.id.to_string(),
        })
        .collect();
    let title = match mode {
        "paper" => "Registrera pappersblankett",
        "link" => "Koppla blankett till nödtelefonärende",
        "edit" => "Ändra begäran",
        _ if form.kind == "unlock" => "Ny begäran om upplåsning",
        _ => "Ny begäran om låsning",
    };
    let status = if errors.is_empty() && notice.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        l: staff.layout(title),
        mode,
        action,
        is_lock: form.kind != "unlock",
        risks: opts(RISKS, &form.risk_kinds),
        basis: opts(BASIS, &form.basis),
        situations: opts(SITUATIONS, &form.situations),
        requested_by: opts(REQUESTED_BY, std::slice::from_ref(&form.requested_by)),
        not_informed: opts(
            NOT_INFORMED,
            std::slice::from_ref(&form.patient_not_informed_reason),
        ),
        form,
        errors,
        units,
        members,
        providers,
        locks,
        notice,
    };
    Ok(pages::render(status, &page))
}

async fn new_form(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    if !(staff.actor.has(Role::Clinician) || staff.actor.has(Role::Manager)) {
        // "Ny begäran" is the unit's (a handler registers paper forms instead).
        let ctx = staff.ctx(&state);
        let denial = ctx.denial(
            Access::FileCase { unit_id: 0 },
            crate::service::Refusal::Role,
            None,
            None,
            None,
        );
        return Err(state
            .run(move |_| Err::<(), _>(denial))
            .await
            .err()
            .unwrap_or(AppError::Service(ServiceError::Forbidden)));
    }
    let kind = if q.typ.as_deref() == Some("unlock") {
        "unlock"
    } else {
        "lock"
    };
    let form = CaseInput {
        kind: kind.into(),
        unit_id: staff
            .actor
            .units
            .first()
            .map(|u| u.id.to_string())
            .unwrap_or_default(),
        requested_by: "staff".into(),
        care_provider: "region".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &staff,
        "create",
        "/arenden/ny".into(),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

/// Turns a service result into the form again (on input errors) or an error page.
async fn back_to_form(
    state: &AppState,
    staff: &Staff,
    mode: &'static str,
    action: String,
    form: CaseInput,
    err: AppError,
) -> Result<HttpResponse, AppError> {
    match err {
        AppError::Service(ServiceError::Invalid(errors)) => {
            form_page(state, staff, mode, action, form, errors, None).await
        }
        AppError::Service(ServiceError::Conflict(m) | ServiceError::Refused(m)) => {
            form_page(
                state,
                staff,
                mode,
                action,
                form,
                FieldErrors::default(),
                Some(m),
            )
            .await
        }
        e => Err(e),
    }
}

async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state.run(move |c| cases::create_draft(c, &ctx, &i2)).await {
        Ok(id) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => back_to_form(&state, &staff, "create", "/arenden/ny".into(), input, e).await,
    }
}

#[derive(Template)]
#[template(path = "cases/view.html")]
struct ViewPage {
    l: Layout,
    v: CaseView,
    name: String,
    masked: bool,
    pnr: String,
    kind: &'static str,
    category: &'static str,
    status: &'static str,
    status_code: String,
    channel: &'static str,
    risks: Vec<&'static str>,
    basis: Vec<&'static str>,
    situations: Vec<&'static str>,
    requested_by: &'static str,
    not_informed: &'static str,
    checks: Vec<CheckLine>,
    earlier: Vec<CaseItem>,
    events: Vec<(String, String, String, String)>,
    is_handler: bool,
    is_unit_staff: bool,
    is_decider: bool,
    notice: Option<String>,
    errors: FieldErrors,
    created: String,
    executed: String,
}

pub struct CheckLine {
    pub code: &'static str,
    pub label: &'static str,
    pub done: Option<String>,
}

fn labels(choices: grounds::Choices, stored: &str) -> Vec<&'static str> {
    grounds::split(stored)
        .iter()
        .map(|c| grounds::label(choices, c))
        .filter(|l| !l.is_empty())
        .collect()
}

fn view_page(staff: &Staff, v: CaseView, notice: Option<String>, errors: FieldErrors) -> ViewPage {
    let r = &v.case;
    let masked = r.citizen_protected && !v.name_revealed;
    let checks = grounds::CHECKS
        .iter()
        .filter(|(c, _)| v.applicable_checks.contains(c))
        .map(|(code, label)| CheckLine {
            code,
            label,
            done: v.checks.iter().find(|x| x.item == *code).map(|x| {
                let note = if x.note.is_empty() {
                    String::new()
                } else {
                    format!(" – {}", x.note)
                };
                format!("{} {}{}", x.done_by_name, local_time(&x.done_at), note)
            }),
        })
        .collect();
    let is_unit_staff = staff.actor.has(Role::Clinician) || staff.actor.has(Role::Manager);
    ViewPage {
        l: staff.layout(&format!(
            "Ärende {}",
            r.diary_number
                .clone()
                .unwrap_or_else(|| format!("nr {}", r.id))
        )),
        name: if masked {
            "*****".into()
        } else {
            r.citizen_name.clone()
        },
        masked,
        pnr: pnr_display(&r.citizen_pnr),
        kind: r.kind.parse::<Kind>().map(|k| k.label()).unwrap_or(""),
        category: r.kind.parse::<Kind>().map(|k| k.category()).unwrap_or(""),
        status: r.status.parse::<Status>().map(|s| s.label()).unwrap_or(""),
        status_code: r.status.clone(),
        channel: channel_label(&r.channel),
        risks: labels(RISKS, &r.risk_kinds),
        basis: labels(BASIS, &r.basis),
        situations: labels(SITUATIONS, &r.situations),
        requested_by: grounds::label(REQUESTED_BY, &r.requested_by),
        not_informed: grounds::label(NOT_INFORMED, &r.patient_not_informed_reason),
        checks,
        earlier: v.earlier.iter().map(item).collect(),
        events: v
            .events
            .iter()
            .map(|e| {
                (
                    local_time(&e.at),
                    e.actor_name.clone(),
                    e.action.clone(),
                    e.detail.clone(),
                )
            })
            .collect(),
        is_handler: v.role == Role::Handler,
        is_unit_staff: is_unit_staff && staff.actor.units.iter().any(|u| u.id == r.unit_id),
        is_decider: staff.actor.is_decider,
        notice,
        errors,
        created: local_time(&r.created_at),
        executed: r.executed_at.as_ref().map(local_time).unwrap_or_default(),
        v,
    }
}

async fn show_case(
    state: &AppState,
    staff: &Staff,
    id: i64,
    reveal: bool,
    notice: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), reveal))
        .await?;
    let status = if notice.is_some() || !errors.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(pages::render(status, &view_page(staff, v, notice, errors)))
}

async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_case(
        &state,
        &staff,
        id.into_inner(),
        false,
        None,
        FieldErrors::default(),
    )
    .await
}

async fn reveal(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_case(
        &state,
        &staff,
        id.into_inner(),
        true,
        None,
        FieldErrors::default(),
    )
    .await
}

async fn edit_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    if !v
        .case
        .status
        .parse::<Status>()
        .is_ok_and(|s| s.is_editable())
    {
        return Err(ServiceError::Refused(
            "Ärendet kan bara ändras som utkast eller när det har returnerats för komplettering."
                .into(),
        )
        .into());
    }
    let mut form = CaseInput::from_row(&v.case);
    if v.case.citizen_protected {
        // The form shows what was typed; for a protected citizen that includes the name, so
        // it is shown only to the unit that filed it.
        form.citizen_protected = true;
    }
    form_page(
        &state,
        &staff,
        "edit",
        format!("/arenden/{id}/andra"),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

async fn update(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |c| cases::update_draft(c, &ctx, id, &i2))
        .await
    {
        Ok(()) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => {
            back_to_form(
                &state,
                &staff,
                "edit",
                format!("/arenden/{id}/andra"),
                input,
                e,
            )
            .await
        }
    }
}

#[derive(serde::Deserialize)]
struct ActionForm {
    #[serde(default)]
    version: i32,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    helpdesk_ref: String,
    #[serde(default)]
    plexus_ref: String,
}

async fn act(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i64, String)>,
    form: HtmlForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let ctx = staff.ctx(&state);
    let f = form.0;
    let prefix = cases::Workflow::from_config(&state.config);
    let result = match action.as_str() {
        "signera" => {
            state
                .run(move |c| cases::sign(c, &ctx, id, f.version))
                .await
        }
        "skicka" => {
            state
                .run(move |c| cases::submit(c, &ctx, id, f.version))
                .await
        }
        "ta-emot" => {
            state
                .run(move |c| cases::receive(c, &ctx, id, f.version))
                .await
        }
        "kontroll" => {
            state
                .run(move |c| cases::check_item(c, &ctx, id, f.version, &f.item, &f.note))
                .await
        }
        "retur" => {
            state
                .run(move |c| cases::return_case(c, &ctx, id, f.version, &f.reason))
                .await
        }
        "verifiera" => {
            state
                .run(move |c| cases::verify(c, &ctx, id, f.version))
                .await
        }
        "verkstall" => {
            let input = ExecuteInput {
                helpdesk_ref: f.helpdesk_ref,
                plexus_ref: f.plexus_ref,
                version: f.version,
            };
            state
                .run(move |c| cases::execute(c, &ctx, id, &input, &prefix))
                .await
                .map(|_| ())
        }
        "aterkalla" => {
            state
                .run(move |c| cases::withdraw(c, &ctx, id, f.version, &f.reason))
                .await
        }
        _ => return Err(ServiceError::NotFound.into()),
    };
    match result {
        Ok(()) => Ok(see_other(format!("/arenden/{id}"))),
        Err(AppError::Service(ServiceError::Conflict(m) | ServiceError::Refused(m))) => {
            show_case(&state, &staff, id, false, Some(m), FieldErrors::default()).await
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            show_case(&state, &staff, id, false, None, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/queue.html")]
struct QueuePage {
    l: Layout,
    rows: Vec<CaseItem>,
    pager: Pager,
}

async fn queue(
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
struct SearchPage {
    l: Layout,
    pnr: String,
    searched: Option<String>,
    rows: Vec<CaseItem>,
    errors: FieldErrors,
}

async fn search_form(staff: HandlerStaff) -> Result<HttpResponse, AppError> {
    Ok(pages::ok(&SearchPage {
        l: staff.layout("Sök personnummer"),
        pnr: String::new(),
        searched: None,
        rows: vec![],
        errors: FieldErrors::default(),
    }))
}

#[derive(serde::Deserialize)]
struct SearchForm {
    #[serde(default)]
    pnr: String,
}

/// The personnummer travels in the POST body, never in the URL.
async fn search(
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

#[derive(Template)]
#[template(path = "cases/call.html")]
struct CallPage {
    l: Layout,
    form: CallInput,
    units: Vec<Choice>,
    requested_by: Vec<Choice>,
    errors: FieldErrors,
}

async fn call_page(
    state: &AppState,
    staff: &Staff,
    form: CallInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    state.authorize(&ctx, Access::HandleCases).await?;
    let ch = state
        .run(move |c| cases::form_choices(c, &ctx, None, "lock", ""))
        .await?;
    let units = ch
        .units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.code),
            checked: form.unit_id == u.id.to_string(),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(pages::render(
        status,
        &CallPage {
            l: staff.layout("Samtal till nödtelefon"),
            requested_by: opts(REQUESTED_BY, std::slice::from_ref(&form.requested_by)),
            form,
            units,
            errors,
        },
    ))
}

async fn call_form(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, AppError> {
    call_page(&state, &staff, CallInput::default(), FieldErrors::default()).await
}

async fn call(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<CallInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let prefix = cases::Workflow::from_config(&state.config);
    match state
        .run(move |c| cases::register_call(c, &ctx, &i2, &prefix))
        .await
    {
        Ok((id, _)) => Ok(see_other(format!("/arenden/{id}"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            call_page(&state, &staff, input, errors).await
        }
        Err(e) => Err(e),
    }
}

async fn link_form_page(
    state: web::Data<AppState>,
    staff: HandlerStaff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    let form = CaseInput::from_row(&v.case);
    form_page(
        &state,
        &staff,
        "link",
        format!("/arenden/{id}/blankett"),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

async fn link_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state.run(move |c| cases::link_form(c, &ctx, id, &i2)).await {
        Ok(()) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => {
            back_to_form(
                &state,
                &staff,
                "link",
                format!("/arenden/{id}/blankett"),
                input,
                e,
            )
            .await
        }
    }
}

async fn paper_form(
    state: web::Data<AppState>,
    staff: HandlerStaff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = if q.typ.as_deref() == Some("unlock") {
        "unlock"
    } else {
        "lock"
    };
    let form = CaseInput {
        kind: kind.into(),
        requested_by: "staff".into(),
        care_provider: "region".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &staff,
        "paper",
        "/blankett".into(),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

async fn paper(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |c| cases::register_paper(c, &ctx, &i2))
        .await
    {
        Ok(id) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => back_to_form(&state, &staff, "paper", "/blankett".into(), input, e).await,
    }
}

#[derive(Template)]
#[template(path = "cases/diary.html")]
struct DiaryPage {
    l: Layout,
    year: i32,
    rows: Vec<CaseItem>,
    pager: Pager,
}

/// The diary shows no citizen data, so it can be printed or handed out.
async fn diary(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let year = q.ar.unwrap_or_else(|| cases::swedish_today(&ctx).year());
    let offset = Pager::offset(q.sida);
    let (rows, total) = state
        .run(move |c| cases::diary(c, &ctx, year, pages::PER_PAGE, offset))
        .await?;
    Ok(pages::ok(&DiaryPage {
        l: staff.layout(&format!("Diarium {year}")),
        year,
        rows: rows.iter().map(item).collect(),
        pager: Pager::new(q.sida, total, format!("ar={year}")),
    }))
}

/// A scanned form (PDF) sent as multipart; the guard has read the body whole (bounded in size and
/// time) and checked its CSRF field. A malformed body is refused with 400 at once.
async fn upload(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    use futures_util::StreamExt;
    let id = id.into_inner();
    let max = state.config.attachment_max_bytes;
    let bad = |e: super::multipart::MultipartError| AppError::BadRequest(e.to_string());
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = super::multipart::boundary(content_type).map_err(bad)?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > max + 64 * 1024 {
            return Err(AppError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let parts = super::multipart::parse(&body, &boundary).map_err(bad)?;
    let (bytes, name) = match parts.iter().find(|p| p.name == "file") {
        Some(p) => (p.data.to_vec(), p.filename.clone().unwrap_or_default()),
        None => (Vec::new(), String::new()),
    };
    let ctx = staff.ctx(&state);
    let dir = std::path::PathBuf::from(&state.config.attachments_dir);
    match state
        .run(move |c| crate::service::attachments::add(c, &ctx, id, &bytes, &name, &dir, max))
        .await
    {
        Ok(_) => Ok(see_other(format!("/arenden/{id}"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            show_case(&state, &staff, id, false, None, errors).await
        }
        Err(AppError::Service(ServiceError::Refused(m))) => {
            show_case(&state, &staff, id, false, Some(m), FieldErrors::default()).await
        }
        Err(e) => Err(e),
    }
}

/// Sends a scanned form; the download is in the access log.
async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = path.into_inner();
    let ctx = staff.ctx(&state);
    let dir = std::path::PathBuf::from(&state.config.attachments_dir);
    let (file, name) = state
        .run(move |c| crate::service::attachments::download(c, &ctx, id, aid, &dir))
        .await?;
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("attachment file: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// A lock in the "Omprövningar" list.
pub struct ReviewItem {
    pub id: i64,
    pub diary: String,
    pub pnr: String,
    pub name: String,
    pub due: String,
    pub state: &'static str,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "cases/reviews.html")]
struct ReviewsPage {
    l: Layout,
    rows: Vec<ReviewItem>,
    pager: Pager,
    ascending: bool,
}

#[derive(serde::Deserialize)]
struct ReviewsQuery {
    sida: Option<i64>,
    ordning: Option<String>,
}

async fn reviews(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ReviewsQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::review::{ReviewState, review_state};
    let ctx = staff.ctx(&state);
    let today = cases::swedish_today(&ctx);
    let ascending = q.ordning.as_deref() != Some("fallande");
    let offset = Pager::offset(q.sida);
    let soon = state.config.review_remind_before_days;
    let (rows, total) = state
        .run(move |c| crate::service::reminders::list(c, &ctx, ascending, pages::PER_PAGE, offset))
        .await?;
    let rows = rows
        .iter()
        .filter_map(|r| {
            let due = r.review_due?;
            let st = review_state(due, today, soon);
            Some(ReviewItem {
                id: r.id,
                diary: r.diary_number.clone().unwrap_or_default(),
                pnr: pnr_display(&r.citizen_pnr),
                name: if r.citizen_protected {
                    "*****".into()
                } else {
                    r.citizen_name.clone()
                },
                due: due.to_string(),
                state: match st {
                    ReviewState::Overdue => "Försenad",
                    ReviewState::Due => "Ska göras i dag",
                    ReviewState::DueSoon => "Snart",
                    ReviewState::Later => "Senare",
                },
                overdue: st == ReviewState::Overdue,
            })
        })
        .collect();
    let base = if ascending {
        String::new()
    } else {
        "ordning=fallande".into()
    };
    Ok(pages::ok(&ReviewsPage {
        l: staff.layout("Omprövningar"),
        rows,
        pager: Pager::new(q.sida, total, base),
        ascending,
    }))
}

#[derive(Template)]
#[template(path = "cases/review.html")]
struct ReviewPage {
    l: Layout,
    id: i64,
    diary: String,
    pnr: String,
    due: String,
    form: crate::service::reminders::ReviewInput,
    not_informed: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn review_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    form: crate::service::reminders::ReviewInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    let status = if errors.is_empty() && notice.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(pages::render(
        status,
        &ReviewPage {
            l: staff.layout("Omprövning av låst inloggning"),
            id,
            diary: v.case.diary_number.clone().unwrap_or_default(),
            pnr: pnr_display(&v.case.citizen_pnr),
            due: v.case.review_due.map(|d| d.to_string()).unwrap_or_default(),
            not_informed: opts(
                NOT_INFORMED,
                std::slice::from_ref(&form.patient_not_informed_reason),
            ),
            form,
            errors,
            notice,
        },
    ))
}

async fn review_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    review_page(
        &state,
        &staff,
        id.into_inner(),
        Default::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

async fn review(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: HtmlForm<crate::service::reminders::ReviewInput>,
) -> Result<HttpResponse, AppError> {
    use crate::service::reminders::Reviewed;
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |c| crate::service::reminders::review(c, &ctx, id, &i2))
        .await
    {
        Ok(Reviewed::Kept(_)) => Ok(see_other(format!("/arenden/{id}"))),
        Ok(Reviewed::Unlock(new)) => Ok(see_other(format!("/arenden/{new}/andra"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            review_page(&state, &staff, id, input, errors, None).await
        }
        Err(AppError::Service(ServiceError::Refused(m))) => {
            review_page(&state, &staff, id, input, FieldErrors::default(), Some(m)).await
        }
        Err(e) => Err(e),
    }
}
