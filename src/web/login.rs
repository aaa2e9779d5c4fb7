//! Logging in with HSA-ID, password and one-time code; the login page (with a button per
//! OpenID Connect provider, `web::oidc`); logging out, at the provider too.

use super::auth::{person_lang, redirect, session_for_form, visitor_lang, with_cookie};
use super::pages::{self, Layout};
use super::{AppState, Visitor};
use crate::domain::login::LoginMethod;
use crate::service::session::Stage;
use crate::service::{self, ServiceError, auth::LockoutPolicy};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/utloggad", web::get().to(logged_out));
}

/// A provider's button on the login page.
pub(super) struct ProviderButton {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    l: Layout,
    hsa_id: String,
    error: Option<String>,
    demo_accounts: Vec<crate::service::demo::DemoAccount>,
    demo_password: &'static str,
    providers: Vec<ProviderButton>,
    password_admins_only: bool,
    /// The button "Logga in med SITHS-kort" (`web::clientcert`).
    card_login: bool,
}

impl LoginPage {
    /// The login page in `l`'s language and with its CSRF token; `hsa` typed before, `error`
    /// worded already.
    pub(super) fn new(state: &AppState, l: Layout, hsa: &str, error: Option<String>) -> LoginPage {
        LoginPage {
            l,
            hsa_id: hsa.chars().take(64).collect(),
            error,
            demo_accounts: if state.config.demo {
                crate::service::demo::accounts(state.clock.now())
            } else {
                vec![]
            },
            demo_password: crate::service::demo::DEMO_PASSWORD,
            providers: state
                .oidc
                .buttons()
                .into_iter()
                .map(|(id, name)| ProviderButton { id, name })
                .collect(),
            password_admins_only: state.config.password_login_admins_only,
            card_login: state.config.client_cert_login(),
        }
    }
}

/// The login page with an error (a catalog key) and the form's CSRF token: a failed login of
/// any kind.
pub(super) fn login_failed_page(
    state: &AppState,
    lang: crate::i18n::Lang,
    csrf: &str,
    status: actix_web::http::StatusCode,
    error_key: &str,
    hsa: &str,
) -> HttpResponse {
    let mut l = Layout::public_in(lang, "login-title");
    let error = l.t(error_key);
    l.csrf = csrf.to_string();
    pages::render(status, &LoginPage::new(state, l, hsa, Some(error)))
}

async fn login_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if let Some(s) = visitor.session() {
        match s.stage {
            Stage::Full => return Ok(redirect("/")),
            Stage::ChangePassword => return Ok(redirect("/konto/nytt-losenord")),
            Stage::EnrolTotp => return Ok(redirect("/konto/tvafaktor")),
            Stage::Anonymous => {}
        }
    }
    let (s, new) = session_for_form(&state, &visitor).await?;
    let mut l = Layout::public_in(visitor_lang(&req), "login-title");
    l.csrf = s.csrf_token;
    let page = LoginPage::new(&state, l, "", None);
    Ok(with_cookie(&state, pages::ok(&page), new))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    hsa_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

const MAX_CREDENTIAL: usize = 256;

async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let lang = visitor_lang(&req);
    let form = form.into_inner();
    let Some(s) = visitor.session().cloned() else {
        return Err(AppError::Csrf);
    };
    let ip = visitor
        .0
        .client_addr
        .parse()
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let failed_page = |status: StatusCode, error_key: &'static str, hsa: &str| {
        let mut l = Layout::public_in(lang, "login-title");
        let error = l.t(error_key);
        l.csrf = s.csrf_token.clone();
        pages::render(status, &LoginPage::new(&state, l, hsa, Some(error)))
    };
    if !state.login_limiter.allow(ip) {
        return Ok(failed_page(
            StatusCode::TOO_MANY_REQUESTS,
            "login-error-rate",
            &form.hsa_id,
        ));
    }
    if form.hsa_id.len() > MAX_CREDENTIAL
        || form.password.len() > MAX_CREDENTIAL
        || form.code.len() > MAX_CREDENTIAL
    {
        return Ok(failed_page(
            StatusCode::UNAUTHORIZED,
            "login-error-failed",
            "",
        ));
    }
    let ctx = visitor.ctx(&state);
    let policy = LockoutPolicy {
        failures: state.config.lockout_failures,
        duration: chrono::Duration::minutes(state.config.lockout_minutes),
    };
    let old = s.id_hash.clone();
    let (hsa, pw, code) = (form.hsa_id.clone(), form.password, form.code);
    // Three steps, so that the password check (argon2) holds no database connection while it
    // runs or waits for a hash permit: a login storm must not starve the pool every page needs.
    let keys = state.secrets.clone();
    let admins_only = state.config.password_login_admins_only;
    let result = async {
        let candidate = state
            .run(move |conn| service::auth::login_lookup(conn, &hsa))
            .await?;
        // The request's connection goes back to the pool for the hash (the last step takes one
        // again).
        crate::web::release_request_conn();
        let (candidate, password_ok) = web::block(move || {
            let ok = candidate.check_password(&pw);
            (candidate, ok)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        state
            .run(move |conn| {
                // The anonymous session that carried the form is replaced by a new one.
                service::auth::login_finish(
                    conn,
                    &ctx,
                    &keys,
                    policy,
                    candidate,
                    password_ok,
                    &code,
                    Some(&old),
                    admins_only,
                )
            })
            .await
    }
    .await;
    match result {
        Ok(logged_in) => {
            let to = match logged_in.stage {
                Stage::Full => "/",
                Stage::ChangePassword => "/konto/nytt-losenord",
                _ => "/konto/tvafaktor",
            };
            Ok(with_cookie(&state, redirect(to), Some(logged_in.token)))
        }
        Err(AppError::Service(ServiceError::LoginFailed)) => Ok(failed_page(
            StatusCode::UNAUTHORIZED,
            "login-error-failed",
            &form.hsa_id,
        )),
        Err(e) => Err(e),
    }
}

/// Where a provider sends the user back after logging out there.
pub const LOGGED_OUT_PATH: &str = "/utloggad";

/// Logging out at the provider too: its page, named.
struct IdpLogout {
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage {
    l: Layout,
    idp: Option<IdpLogout>,
}

/// Ends the local session; after a login through a provider that offers RP-initiated logout,
/// the page then sends the browser on to the provider's logout (`id_token_hint`,
/// `post_logout_redirect_uri` = `/utloggad`). The page does it (a refresh and a link) rather than
/// a redirect: a form's redirect to another origin is refused by the `form-action 'self'` CSP.
async fn logout(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    // The page after logging out speaks the language of the user who left.
    let lang = person_lang(&visitor).unwrap_or_else(|| visitor_lang(&req));
    let mut idp = None;
    if let Some(s) = visitor.session() {
        let ctx = visitor.ctx(&state);
        let hash = s.id_hash.clone();
        state
            .run(move |conn| service::auth::logout(conn, &ctx, &hash))
            .await?;
        if let Some(LoginMethod::Oidc { provider }) = &s.login_method
            && let Some(p) = state.oidc.get(provider)
        {
            let hint = service::oidc::id_token(&state.secrets, s);
            let back = format!("{}{LOGGED_OUT_PATH}", state.config.public_url());
            if let Some(url) = p.end_session_url(hint.as_deref(), &back, lang.code()).await {
                idp = Some(IdpLogout {
                    name: p.config.name.clone(),
                    url,
                });
            }
        }
    }
    let mut res = pages::ok(&LoggedOutPage {
        l: Layout::public_in(lang, "logged-out-title"),
        idp,
    });
    if let Err(e) = res.add_removal_cookie(&state.removal_cookie()) {
        tracing::error!(error = %e, "cookie");
    }
    Ok(res)
}

/// Where the provider sends the user after logging out there (and anyone who comes by).
async fn logged_out(visitor: Visitor, req: HttpRequest) -> HttpResponse {
    if visitor
        .session()
        .is_some_and(|s| s.stage == Stage::Full && s.holder.staff().is_some())
    {
        return redirect("/");
    }
    pages::ok(&LoggedOutPage {
        l: Layout::public_in(visitor_lang(&req), "logged-out-title"),
        idp: None,
    })
}
