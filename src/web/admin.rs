//! Administration pages: staff, units, approved private care providers.

use super::pages::{self, Layout, Pager};
use super::{AdminStaff, AppState, HtmlForm, Staff};
use crate::db::models::{CareProvider, Unit, User};
use crate::domain::Role;
use crate::domain::validate::has_control;
use crate::error::AppError;
use crate::service::admin::{self, FirstPassword, ProviderInput, UnitInput, UserInput};
use crate::service::{FieldErrors, ServiceError};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/anvandare", web::get().to(users))
        .route("/admin/anvandare/ny", web::get().to(new_user_form))
        .route("/admin/anvandare/ny", web::post().to(create_user))
        .route("/admin/anvandare/{id}", web::get().to(edit_user_form))
        .route("/admin/anvandare/{id}", web::post().to(update_user))
        .route(
            "/admin/anvandare/{id}/aterstall",
            web::post().to(reset_login),
        )
        .route("/admin/enheter", web::get().to(units))
        .route("/admin/enheter/ny", web::get().to(new_unit_form))
        .route("/admin/enheter/ny", web::post().to(create_unit))
        .route("/admin/enheter/{id}", web::get().to(edit_unit_form))
        .route("/admin/enheter/{id}", web::post().to(update_unit))
        .route(
            "/admin/enheter/{id}/certifikat",
            web::post().to(set_certificate),
        )
        .route("/admin/post", web::get().to(mail))
        .route("/admin/post/{id}/skicka-igen", web::post().to(resend))
        .route("/admin/vardgivare", web::get().to(providers))
        .route("/admin/vardgivare", web::post().to(add_provider))
        .route(
            "/admin/vardgivare/{id}/godkand",
            web::post().to(set_provider),
        );
}

fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to))
        .finish()
}

async fn index(_staff: AdminStaff) -> Result<HttpResponse, AppError> {
    Ok(see_other("/admin/anvandare".into()))
}

#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    sida: Option<i64>,
    sparad: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    l: Layout,
    q: String,
    q_error: Option<&'static str>,
    rows: Vec<User>,
    pager: Pager,
}

async fn users(
    state: web::Data<AppState>,
    staff: AdminStaff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let q: String = query.q.chars().take(100).collect();
    let q_error = has_control(&q, false).then_some(crate::messages::CONTROL_CHARS);
    let q2 = q.clone();
    let offset = Pager::offset(query.sida);
    let (rows, total) = match q_error {
        Some(_) => (Vec::new(), 0), // no search with a refused term
        None => {
            (state.run(move |c| admin::users_page(c, &ctx, &q2, pages::PER_PAGE, offset))).await?
        }
    };
    let base = if q.is_empty() {
        String::new()
    } else {
        format!(
            "q={}",
            serde_urlencoded::to_string([("q", &q)])
                .unwrap_or_default()
                .trim_start_matches("q=")
        )
    };
    Ok(pages::ok(&UsersPage {
        l: staff.layout("Användare"),
        q,
        q_error,
        rows,
        pager: Pager::new(query.sida, total, base),
    }))
}

/// A checkbox choice in a form.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    l: Layout,
    /// None for a new user.
    id: Option<i64>,
    form: UserInput,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    errors: FieldErrors,
    saved: bool,
    notice: Option<String>,
}

fn choices(form: &UserInput, all_units: &[Unit]) -> (Vec<Choice>, Vec<Choice>) {
    let roles = Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.code().into(),
            label: r.label().into(),
            checked: form.roles.iter().any(|x| x == r.code()),
        })
        .collect();
    let units = all_units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.code),
            checked: form.units.iter().any(|x| *x == u.id.to_string()),
        })
        .collect();
    (roles, units)
}

async fn user_form(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    form: UserInput,
    errors: FieldErrors,
    saved: bool,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let all_units = state.run(move |conn| admin::all_units(conn, &ctx)).await?;
    let (roles, units) = choices(&form, &all_units);
    let status = if errors.is_empty() && notice.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if id.is_some() {
        "Ändra användare"
    } else {
        "Ny användare"
    };
    Ok(pages::render(
        status,
        &UserFormPage {
            l: staff.layout(title),
            id,
            form,
            roles,
            units,
            errors,
            saved,
            notice,
        },
    ))
}

async fn new_user_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let form = UserInput {
        active: true,
        ..Default::default()
    };
    user_form(
        &state,
        &staff,
        None,
        form,
        FieldErrors::default(),
        false,
        None,
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/link.html")]
struct LinkPage {
    l: Layout,
    user_name: String,
    hsa_id: String,
    link: String,
    hours: i64,
}

fn link_page(
    state: &AppState,
    staff: &Staff,
    name: &str,
    hsa_id: &str,
    token: &str,
) -> HttpResponse {
    pages::ok(&LinkPage {
        l: staff.layout("Aktiveringslänk"),
        user_name: name.to_string(),
        hsa_id: hsa_id.to_string(),
        link: format!("{}/aktivera/{}", state.config.public_url(), token),
        hours: state.config.enrolment_link_hours,
    })
}

async fn create_user(
    state: web::Data<AppState>,
    staff: AdminStaff,
    form: HtmlForm<UserInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let hours = state.config.enrolment_link_hours;
    match state
        .run(move |conn| admin::create_user(conn, &ctx, &i2, FirstPassword::Link { hours }))
        .await
    {
        Ok(created) => {
            let token = created.enrolment_token.unwrap_or_default();
            Ok(link_page(
                &state,
                &staff,
                &input.name,
                &input.hsa_id.trim().to_ascii_uppercase(),
                &token,
            ))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            user_form(&state, &staff, None, input, errors, false, None).await
        }
        Err(e) => Err(e),
    }
}

async fn edit_user_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let d = state
        .run(move |conn| admin::user_details(conn, &ctx, id))
        .await?;
    let form = UserInput {
        hsa_id: d.user.hsa_id,
        name: d.user.name,
        email: d.user.email,
        roles: d.roles.iter().map(|r| r.code().to_string()).collect(),
        units: d.units.iter().map(|u| u.id.to_string()).collect(),
        is_decider: d.user.is_decider,
        active: d.user.active,
    };
    user_form(
        &state,
        &staff,
        Some(id),
        form,
        FieldErrors::default(),
        query.sparad.is_some(),
        None,
    )
    .await
}

async fn update_user(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    form: HtmlForm<UserInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let mut input = form.0;
    let i2 = input.clone();
    match state
        .run(move |conn| admin::update_user(conn, &ctx, id, &i2))
        .await
    {
        Ok(()) => Ok(see_other(format!("/admin/anvandare/{id}?sparad=1"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            let ctx = staff.ctx(&state);
            let d = state
                .run(move |conn| admin::user_details(conn, &ctx, id))
                .await?;
            input.hsa_id = d.user.hsa_id;
            user_form(&state, &staff, Some(id), input, errors, false, None).await
        }
        Err(AppError::Service(ServiceError::Refused(msg))) => {
            let ctx = staff.ctx(&state);
            let d = state
                .run(move |conn| admin::user_details(conn, &ctx, id))
                .await?;
            input.hsa_id = d.user.hsa_id;
            user_form(
                &state,
                &staff,
                Some(id),
                input,
                FieldErrors::default(),
                false,
                Some(msg),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn reset_login(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let hours = state.config.enrolment_link_hours;
    let (token, d) = state
        .run(move |conn| {
            let t = admin::reset_login(conn, &ctx, id, hours)?;
            let d = admin::user_details(conn, &ctx, id)?;
            Ok((t, d))
        })
        .await?;
    Ok(link_page(
        &state,
        &staff,
        &d.user.name,
        &d.user.hsa_id,
        &token,
    ))
}

#[derive(Template)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    l: Layout,
    rows: Vec<Unit>,
    pager: Pager,
}

async fn units(
    state: web::Data<AppState>,
    staff: AdminStaff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let offset = Pager::offset(query.sida);
    let (rows, total) = state
        .run(move |conn| admin::units_page(conn, &ctx, pages::PER_PAGE, offset))
        .await?;
    Ok(pages::ok(&UnitsPage {
        l: staff.layout("Enheter"),
        rows,
        pager: Pager::new(query.sida, total, String::new()),
    }))
}

#[derive(Template)]
#[template(path = "admin/unit_form.html")]
struct UnitFormPage {
    l: Layout,
    id: Option<i64>,
    form: UnitInput,
    managers: Vec<Choice>,
    errors: FieldErrors,
    saved: bool,
    cert: Option<CertView>,
    cert_errors: FieldErrors,
    pem: String,
}

/// A unit's certificate as shown to the admin, with its expiry status.
pub struct CertView {
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
    pub fingerprint: String,
    pub status: String,
}

fn cert_view(
    c: &crate::db::outbox::UnitCertificate,
    now: chrono::DateTime<chrono::Utc>,
) -> CertView {
    let days = crate::mail::cert::days_left(c.not_after, now);
    let status = if days < 0 {
        "Utgånget – återkoppling skickas som avisering utan personuppgifter. Lägg in ett nytt."
            .to_string()
    } else if days <= crate::mail::cert::WARN_DAYS {
        format!("Går ut om {days} dagar – lägg in ett nytt i god tid.")
    } else {
        format!("Giltigt ({days} dagar kvar)")
    };
    CertView {
        subject: c.subject.clone(),
        not_before: c.not_before.format("%Y-%m-%d").to_string(),
        not_after: c.not_after.format("%Y-%m-%d").to_string(),
        fingerprint: c.fingerprint.clone(),
        status,
    }
}

async fn unit_form(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    form: UnitInput,
    errors: FieldErrors,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    unit_form_with_cert(
        state,
        staff,
        id,
        form,
        errors,
        saved,
        FieldErrors::default(),
        String::new(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn unit_form_with_cert(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    form: UnitInput,
    errors: FieldErrors,
    saved: bool,
    cert_errors: FieldErrors,
    pem: String,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let now = ctx.now;
    let (managers, cert) = state
        .run(move |conn| {
            let m = admin::managers(conn, &ctx)?;
            let c = match id {
                Some(id) => admin::certificate(conn, &ctx, id)?,
                None => None,
            };
            Ok((m, c))
        })
        .await?;
    let cert = cert.as_ref().map(|c| cert_view(c, now));
    let managers = managers
        .into_iter()
        .map(|u| Choice {
            checked: form.manager_user_id == u.id.to_string(),
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.hsa_id),
        })
        .collect();
    let status = if errors.is_empty() && cert_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if id.is_some() {
        "Ändra enhet"
    } else {
        "Ny enhet"
    };
    Ok(pages::render(
        status,
        &UnitFormPage {
            l: staff.layout(title),
            id,
            form,
            managers,
            errors,
            saved,
            cert,
            cert_errors,
            pem,
        },
    ))
}

#[derive(serde::Deserialize)]
struct PemForm {
    #[serde(default)]
    pem: String,
}

async fn set_certificate(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    form: HtmlForm<PemForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let pem = form.0.pem;
    let p2 = pem.clone();
    match state
        .run(move |c| admin::set_certificate(c, &ctx, id, &p2))
        .await
    {
        Ok(()) => Ok(see_other(format!(
            "/admin/enheter/{id}?sparad=1#certifikat"
        ))),
        Err(AppError::Service(ServiceError::Invalid(cert_errors))) => {
            let ctx = staff.ctx(&state);
            let u = state.run(move |conn| admin::unit(conn, &ctx, id)).await?;
            let form = UnitInput::from_unit(u);
            unit_form_with_cert(
                &state,
                &staff,
                Some(id),
                form,
                FieldErrors::default(),
                false,
                cert_errors,
                pem,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// A failed message as listed for the admin.
pub struct MailRow {
    pub id: i64,
    pub case_id: Option<i64>,
    pub recipient: String,
    pub encrypted: bool,
    pub attempts: i32,
    pub last_error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    l: Layout,
    rows: Vec<MailRow>,
    pager: Pager,
    pending: i64,
    notice: Option<String>,
}

async fn mail_page(
    state: &AppState,
    staff: &Staff,
    page: Option<i64>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let offset = Pager::offset(page);
    let ((rows, total), pending) = state
        .run(move |c| {
            let p = crate::service::outbox::failed_page(c, &ctx, pages::PER_PAGE, offset)?;
            let pending = crate::service::outbox::pending_count(c, &ctx)?;
            Ok((p, pending))
        })
        .await?;
    let rows = rows
        .into_iter()
        .map(|m| MailRow {
            id: m.id,
            case_id: m.case_id,
            recipient: m.recipient,
            encrypted: m.encrypted,
            attempts: m.attempts,
            last_error: m.last_error,
            created: super::cases::local_time(&m.created_at),
        })
        .collect();
    Ok(pages::ok(&MailPage {
        l: staff.layout("E-post som inte kunde skickas"),
        rows,
        pager: Pager::new(page, total, String::new()),
        pending,
        notice,
    }))
}

async fn mail(
    state: web::Data<AppState>,
    staff: AdminStaff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = query
        .sparad
        .as_ref()
        .map(|_| "Meddelandet ligger i utkorgen igen och skickas strax.".to_string());
    mail_page(&state, &staff, query.sida, notice).await
}

async fn resend(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    match state
        .run(move |c| crate::service::outbox::resend(c, &ctx, id))
        .await
    {
        Ok(()) => Ok(see_other("/admin/post?sparad=1".into())),
        Err(AppError::Service(ServiceError::Refused(m))) => {
            mail_page(&state, &staff, None, Some(m)).await
        }
        Err(e) => Err(e),
    }
}

async fn new_unit_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let form = UnitInput {
        active: true,
        ..Default::default()
    };
    unit_form(&state, &staff, None, form, FieldErrors::default(), false).await
}

async fn create_unit(
    state: web::Data<AppState>,
    staff: AdminStaff,
    form: HtmlForm<UnitInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |conn| admin::create_unit(conn, &ctx, &i2))
        .await
    {
        Ok(id) => Ok(see_other(format!("/admin/enheter/{id}?sparad=1"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            unit_form(&state, &staff, None, input, errors, false).await
        }
        Err(e) => Err(e),
    }
}

async fn edit_unit_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let u = state.run(move |conn| admin::unit(conn, &ctx, id)).await?;
    let form = UnitInput::from_unit(u);
    unit_form(
        &state,
        &staff,
        Some(id),
        form,
        FieldErrors::default(),
        query.sparad.is_some(),
    )
    .await
}

async fn update_unit(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    form: HtmlForm<UnitInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |conn| admin::update_unit(conn, &ctx, id, &i2))
        .await
    {
        Ok(()) => Ok(see_other(format!("/admin/enheter/{id}?sparad=1"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            unit_form(&state, &staff, Some(id), input, errors, false).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin/providers.html")]
struct ProvidersPage {
    l: Layout,
    rows: Vec<CareProvider>,
    pager: Pager,
    form: ProviderInput,
    errors: FieldErrors,
    saved: bool,
}

async fn providers_page(
    state: &AppState,
    staff: &Staff,
    page: Option<i64>,
    form: ProviderInput,
    errors: FieldErrors,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let offset = Pager::offset(page);
    let (rows, total) = state
        .run(move |conn| admin::providers_page(conn, &ctx, pages::PER_PAGE, offset))
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(pages::render(
        status,
        &ProvidersPage {
            l: staff.layout("Godkända privata vårdgivare"),
            rows,
            pager: Pager::new(page, total, String::new()),
            form,
            errors,
            saved,
        },
    ))
}

async fn providers(
    state: web::Data<AppState>,
    staff: AdminStaff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    providers_page(
        &state,
        &staff,
        query.sida,
        ProviderInput::default(),
        FieldErrors::default(),
        query.sparad.is_some(),
    )
    .await
}

async fn add_provider(
    state: web::Data<AppState>,
    staff: AdminStaff,
    form: HtmlForm<ProviderInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |conn| admin::add_provider(conn, &ctx, &i2))
        .await
    {
        Ok(_) => Ok(see_other("/admin/vardgivare?sparad=1".into())),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            providers_page(&state, &staff, None, input, errors, false).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct ApprovedForm {
    #[serde(default)]
    approved: bool,
}

async fn set_provider(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    form: HtmlForm<ApprovedForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let approved = form.0.approved;
    state
        .run(move |conn| admin::set_provider_approved(conn, &ctx, id, approved))
        .await?;
    Ok(see_other("/admin/vardgivare?sparad=1".into()))
}
