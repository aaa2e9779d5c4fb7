//! Enrolment (password, TOTP) and the user's account; logging in and out is `web::login`
//! (password) and `web::oidc` (a provider); the start page, where login lands, is `web::start`.

use super::pages::{self, Layout};
use super::{AppState, Staff, Visitor};
use crate::service::session::{self, Session, Stage};
use crate::service::{self, FieldErrors, ServiceError};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/aktivera/{token}", web::get().to(link_form))
        .route("/aktivera/{token}", web::post().to(link_submit))
        .route("/konto/nytt-losenord", web::get().to(change_form))
        .route("/konto/nytt-losenord", web::post().to(change_submit))
        .route("/konto/tvafaktor", web::get().to(totp_form))
        .route("/konto/tvafaktor", web::post().to(totp_submit))
        .route("/konto", web::get().to(account))
        .route("/konto/sprak", web::post().to(set_language));
}

pub(super) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to))
        .finish()
}

/// The visitor's session, or a new anonymous one (with its cookie) so the form has a CSRF token.
pub(super) async fn session_for_form(
    state: &AppState,
    visitor: &Visitor,
) -> Result<(Session, Option<String>), AppError> {
    if let Some(s) = visitor.session() {
        return Ok((s.clone(), None));
    }
    let ctx = visitor.ctx(state);
    let (token, s) = state
        .run(move |conn| session::create_anonymous(conn, ctx.now, &ctx.client_addr))
        .await?;
    Ok((s, Some(token)))
}

pub(super) fn with_cookie(
    state: &AppState,
    mut res: HttpResponse,
    token: Option<String>,
) -> HttpResponse {
    if let Some(t) = token
        && let Err(e) = res.add_cookie(&state.session_cookie(&t))
    {
        tracing::error!(error = %e, "cookie");
    }
    res
}

/// The language a visitor's browser asks for (`Accept-Language`); Swedish otherwise.
pub(super) fn visitor_lang(req: &HttpRequest) -> crate::i18n::Lang {
    super::guard::accept_language(req.headers())
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    l: Layout,
    hsa_id: String,
    action: String,
    errors: FieldErrors,
    first_time: bool,
}

async fn link_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let ctx = visitor.ctx(&state);
    let t = token.into_inner();
    let t2 = t.clone();
    let hsa_id = state
        .run(move |conn| service::auth::enrolment_link_user(conn, &ctx, &t2))
        .await?;
    let (s, new) = session_for_form(&state, &visitor).await?;
    let mut l = Layout::public_in(visitor_lang(&req), "password-title-first");
    l.csrf = s.csrf_token;
    let page = SetPasswordPage {
        l,
        hsa_id,
        action: format!("/aktivera/{t}"),
        errors: FieldErrors::default(),
        first_time: true,
    };
    Ok(with_cookie(&state, pages::ok(&page), new))
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn link_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let Some(s) = visitor.session().cloned() else {
        return Err(AppError::Csrf);
    };
    let ctx = visitor.ctx(&state);
    let t = token.into_inner();
    let (t2, f) = (t.clone(), form.into_inner());
    let old = s.id_hash.clone();
    let r = state
        .run(move |conn| {
            service::auth::enrol_with_link(conn, &ctx, &t2, &f.password, &f.confirm, Some(&old))
        })
        .await;
    match r {
        Ok(l) => Ok(with_cookie(
            &state,
            redirect("/konto/tvafaktor"),
            Some(l.token),
        )),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            let ctx = visitor.ctx(&state);
            let t3 = t.clone();
            let hsa_id = state
                .run(move |conn| service::auth::enrolment_link_user(conn, &ctx, &t3))
                .await?;
            let mut l = Layout::public_in(visitor_lang(&req), "password-title-first");
            l.csrf = s.csrf_token;
            Ok(pages::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetPasswordPage {
                    l,
                    hsa_id,
                    action: format!("/aktivera/{t}"),
                    errors,
                    first_time: true,
                },
            ))
        }
        Err(e) => Err(e),
    }
}

/// The language of the user behind a session (half-way through logging in, or logged in).
fn session_lang(s: &Session) -> crate::i18n::Lang {
    s.holder.staff().map(|a| a.lang).unwrap_or_default()
}

pub(super) fn person_lang(visitor: &Visitor) -> Option<crate::i18n::Lang> {
    visitor.session()?.holder.staff().map(|a| a.lang)
}

/// The session of a user who is half-way through logging in at `stage`.
fn enrolling(visitor: &Visitor, stage: Stage) -> Result<Session, AppError> {
    match visitor.session() {
        Some(s) if s.stage == stage && s.holder.staff().is_some() => Ok(s.clone()),
        Some(s) if s.stage == Stage::Full => Err(AppError::Redirect("/".into())),
        _ => Err(AppError::LoginRequired),
    }
}

async fn change_form(visitor: Visitor) -> Result<HttpResponse, AppError> {
    let s = enrolling(&visitor, Stage::ChangePassword)?;
    let mut l = Layout::public_in(session_lang(&s), "password-title-change");
    l.csrf = s.csrf_token.clone();
    let hsa_id = s
        .holder
        .staff()
        .map(|a| a.hsa_id.clone())
        .unwrap_or_default();
    Ok(pages::ok(&SetPasswordPage {
        l,
        hsa_id,
        action: "/konto/nytt-losenord".into(),
        errors: FieldErrors::default(),
        first_time: false,
    }))
}

async fn change_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let s = enrolling(&visitor, Stage::ChangePassword)?;
    let ctx = visitor.ctx(&state);
    let f = form.into_inner();
    let s2 = s.clone();
    match state
        .run(move |conn| service::auth::change_password(conn, &ctx, &s2, &f.password, &f.confirm))
        .await
    {
        Ok(Stage::Full) => Ok(redirect("/")),
        Ok(_) => Ok(redirect("/konto/tvafaktor")),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            let mut l = Layout::public_in(session_lang(&s), "password-title-change");
            l.csrf = s.csrf_token.clone();
            let hsa_id = s
                .holder
                .staff()
                .map(|a| a.hsa_id.clone())
                .unwrap_or_default();
            Ok(pages::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetPasswordPage {
                    l,
                    hsa_id,
                    action: "/konto/nytt-losenord".into(),
                    errors,
                    first_time: false,
                },
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    l: Layout,
    qr_svg: String,
    secret: String,
    errors: FieldErrors,
}

async fn totp_page(
    state: &AppState,
    s: Session,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s2, keys) = (s.clone(), state.secrets.clone());
    let secret = state
        .run(move |conn| service::auth::pending_totp_secret(conn, &keys, &s2))
        .await?;
    let account = s
        .holder
        .staff()
        .map(|a| a.hsa_id.clone())
        .unwrap_or_default();
    let uri = crate::auth::totp::otpauth_uri(&account, &secret);
    let mut l = Layout::public_in(session_lang(&s), "totp-title");
    l.csrf = s.csrf_token.clone();
    Ok(pages::render(
        status,
        &TotpPage {
            l,
            qr_svg: crate::auth::totp::qr_svg(&uri).unwrap_or_default(),
            secret: crate::auth::totp::grouped(&secret),
            errors,
        },
    ))
}

async fn totp_form(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    let s = enrolling(&visitor, Stage::EnrolTotp)?;
    totp_page(&state, s, FieldErrors::default(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage {
    l: Layout,
    codes: Vec<String>,
}

async fn totp_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let s = enrolling(&visitor, Stage::EnrolTotp)?;
    if s.pending_totp_secret.is_none() {
        return Ok(redirect("/konto/tvafaktor"));
    }
    let ctx = visitor.ctx(&state);
    let (s2, keys) = (s.clone(), state.secrets.clone());
    let code = form.into_inner().code;
    match state
        .run(move |conn| service::auth::confirm_totp(conn, &ctx, &keys, &s2, &code))
        .await
    {
        Ok(enrolled) => {
            let actor = s.holder.staff().cloned().ok_or(AppError::LoginRequired)?;
            // The new session's CSRF token is not known here; the page only links onward.
            let mut l = Layout::public_in(actor.lang, "recovery-title");
            l.user_name = Some(actor.name);
            let page = RecoveryPage {
                l,
                codes: enrolled.recovery_codes,
            };
            Ok(with_cookie(&state, pages::ok(&page), Some(enrolled.token)))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            totp_page(&state, s, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    hsa_id: String,
    name: String,
    roles: Vec<String>,
    units: Vec<String>,
    is_decider: bool,
    langs: Vec<crate::web::view::Choice>,
    saved: bool,
}

#[derive(serde::Deserialize)]
struct AccountQuery {
    sparad: Option<String>,
}

async fn account(staff: Staff, query: web::Query<AccountQuery>) -> HttpResponse {
    let a = &staff.actor;
    pages::ok(&AccountPage {
        l: staff.page("account-title"),
        hsa_id: a.hsa_id.clone(),
        name: a.name.clone(),
        roles: a
            .roles
            .iter()
            .map(|r| pages::role_label(a.lang, *r))
            .collect(),
        units: a
            .units
            .iter()
            .map(|u| format!("{} ({})", u.name, u.code))
            .collect(),
        is_decider: a.is_decider,
        // Each language is named in itself, so that a user who cannot read the page finds theirs.
        langs: crate::i18n::Lang::ALL
            .iter()
            .map(|l| crate::web::view::Choice {
                value: l.code().to_string(),
                label: l.t("lang-name"),
                checked: *l == a.lang,
            })
            .collect(),
        saved: query.sparad.is_some(),
    })
}

#[derive(serde::Deserialize)]
struct LangForm {
    #[serde(default)]
    lang: String,
}

/// The user's own language setting (the account page's form): stored, then the account page
/// again, now in that language.
async fn set_language(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<LangForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let code = form.into_inner().lang;
    state
        .run(move |conn| service::auth::set_language(conn, &ctx, &code))
        .await?;
    Ok(redirect("/konto?sparad=1"))
}
