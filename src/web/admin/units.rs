//! Admin pages for units and their mail certificates.

use super::*;

#[derive(Template)]
#[template(path = "admin/units.html")]
pub(super) struct UnitsPage {
    l: Layout,
    rows: Vec<Unit>,
    pager: Pager,
    /// The selection in words, when the list shows one.
    selection: Option<String>,
    /// Editing units is the admin's; a handler reads the units whose certificate runs out.
    can_edit: bool,
}

/// The units, or a selection of them (from the start page). Admins read every list; handlers
/// the units whose mail certificate runs out (`Access::MailStatus`) — the service asks the
/// policy and logs a refusal.
pub(super) async fn units(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::service::start::UnitChoice;
    let ctx = staff.ctx(&state);
    let cursor = Cursor::parse(query.efter.as_deref(), query.fore.as_deref());
    let choice = query.urval.as_deref().and_then(UnitChoice::from_code);
    let selection = choice.map(|c| c.selection(ctx.now)).unwrap_or_default();
    let page = state
        .run(move |conn| admin::units_page(conn, &ctx, selection, &cursor, pages::PER_PAGE))
        .await?;
    let base = choice
        .map(|c| format!("urval={}", c.code()))
        .unwrap_or_default();
    let lang = staff.actor.lang;
    Ok(pages::ok(&UnitsPage {
        l: staff.page("admin-units-title"),
        pager: Pager::keyed(&page, "/admin/enheter", &base),
        rows: page.rows,
        selection: choice.map(|c| {
            lang.t(match c {
                UnitChoice::NoManagerEmail => "admin-units-selection-no-manager",
                UnitChoice::NoCertificate => "admin-units-selection-no-certificate",
                UnitChoice::CertificateExpiring => "admin-units-selection-certificate",
            })
        }),
        can_edit: staff.actor.has(Role::Admin),
    }))
}

#[derive(Template)]
#[template(path = "admin/unit_form.html")]
pub(super) struct UnitFormPage {
    l: Layout,
    id: Option<i64>,
    form: UnitInput,
    managers: Vec<Choice>,
    medical_leads: Vec<Choice>,
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

pub(super) fn cert_view(
    lang: crate::i18n::Lang,
    c: &crate::db::outbox::UnitCertificate,
    now: chrono::DateTime<chrono::Utc>,
) -> CertView {
    let days = crate::mail::cert::days_left(c.not_after, now);
    let key = if days < 0 {
        "admin-cert-expired"
    } else if days <= crate::mail::cert::WARN_DAYS {
        "admin-cert-expiring"
    } else {
        "admin-cert-valid"
    };
    let status = Msg::key(key).arg("n", days).in_lang(lang);
    CertView {
        subject: c.subject.clone(),
        not_before: c.not_before.format("%Y-%m-%d").to_string(),
        not_after: c.not_after.format("%Y-%m-%d").to_string(),
        fingerprint: c.fingerprint.clone(),
        status,
    }
}

pub(super) async fn unit_form(
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
pub(super) async fn unit_form_with_cert(
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
    let (managers, deciders, cert) = state
        .run(move |conn| {
            let m = admin::managers(conn, &ctx)?;
            let d = admin::deciders(conn, &ctx)?;
            let c = match id {
                Some(id) => admin::certificate(conn, &ctx, id)?,
                None => None,
            };
            Ok((m, d, c))
        })
        .await?;
    let medical_leads = deciders
        .into_iter()
        .map(|u| Choice {
            checked: form.medical_lead_user_id == u.id.to_string(),
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.hsa_id),
        })
        .collect();
    let cert = cert.as_ref().map(|c| cert_view(staff.actor.lang, c, now));
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
        "admin-unit-edit-title"
    } else {
        "admin-unit-new-title"
    };
    Ok(pages::render(
        status,
        &UnitFormPage {
            l: staff.page(title),
            id,
            form,
            managers,
            medical_leads,
            errors,
            saved,
            cert,
            cert_errors,
            pem,
        },
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct PemForm {
    #[serde(default)]
    pem: String,
}

pub(super) async fn set_certificate(
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

pub(super) async fn new_unit_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let form = UnitInput {
        active: true,
        ..Default::default()
    };
    unit_form(&state, &staff, None, form, FieldErrors::default(), false).await
}

pub(super) async fn create_unit(
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

pub(super) async fn edit_unit_form(
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

pub(super) async fn update_unit(
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
