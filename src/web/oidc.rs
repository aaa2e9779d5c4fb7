//! Logging in through an OpenID Connect provider (SITHS eID, Freja eID): the login page's
//! button leads to `GET /login/oidc/{provider}`, which keeps state, nonce and PKCE verifier on
//! the visitor's anonymous session and sends them to the provider; the provider sends them back
//! to `GET /login/oidc/{provider}/callback`, where the answer is checked (`auth::oidc`), the
//! assurance level compared with the required one, and the HSA-ID given to
//! `service::identified::login`. Every refusal is written to the access log.

use super::auth::{redirect, session_for_form, visitor_lang, with_cookie};
use super::login::LoginPage;
use super::pages::{self, Layout};
use super::{AppState, Visitor};
use crate::auth::oidc::{OidcError, Provider};
use crate::auth::tokens;
use crate::domain::login::{LoginMethod, acr_satisfies};
use crate::i18n::{Lang, Msg};
use crate::service::identified::{self, Proven};
use crate::service::session::Stage;
use crate::service::{self, Ctx, ServiceError};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/oidc/{provider}", web::get().to(start))
        .route("/login/oidc/{provider}/callback", web::get().to(callback));
}

/// Where the provider sends the visitor back (registered at the provider as the redirect URI).
pub fn callback_url(state: &AppState, provider: &str) -> String {
    format!(
        "{}/login/oidc/{provider}/callback",
        state.config.public_url()
    )
}

fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a Provider, AppError> {
    state
        .oidc
        .get(id)
        .ok_or(AppError::Service(ServiceError::NotFound))
}

/// Begins a login at the provider: an anonymous session (the visitor's, or a new one) keeps the
/// login under way, a `Lax` cookie carries that session to the callback, and the visitor goes
/// to the provider.
async fn start(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = provider(&state, &id)?;
    let lang = visitor_lang(&req);
    if let Some(s) = visitor.session()
        && s.stage == Stage::Full
        && s.holder.staff().is_some()
    {
        return Ok(redirect("/"));
    }
    // The anonymous session the visitor's cookie names, or a new one (a visitor half-way through
    // a password login gets a new one too: the login under way lives on anonymous sessions).
    let cookie = req
        .cookie(state.cookie_name())
        .map(|c| c.value().to_string());
    let anonymous = visitor
        .session()
        .filter(|s| s.stage == Stage::Anonymous && s.holder.staff().is_none());
    let (session, token, new) = match (anonymous, cookie) {
        (Some(s), Some(token)) => (s.clone(), token, false),
        _ => {
            let plain = Visitor(super::ReqInfo {
                client_addr: visitor.0.client_addr.clone(),
                session: None,
            });
            let (s, token) = session_for_form(&state, &plain).await?;
            let token = token.ok_or_else(|| AppError::Internal("no new session".into()))?;
            (s, token, true)
        }
    };
    // The per-address login rate limit counts a login begun at a provider as an attempt.
    let ip = visitor
        .0
        .client_addr
        .parse()
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    if !state.login_limiter.allow(ip) {
        let mut l = Layout::public_in(lang, "login-title");
        l.csrf = session.csrf_token.clone();
        let error = l.t("login-error-rate");
        let page = pages::render(
            StatusCode::TOO_MANY_REQUESTS,
            &LoginPage::new(&state, l, "", Some(error)),
        );
        return Ok(with_cookie(&state, page, new.then_some(token)));
    }
    let now = state.clock.now();
    let (url, pending) = match p
        .start(&callback_url(&state, &p.config.id), lang.code(), now)
        .await
    {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(provider = %p.config.id, error = %e, "OpenID Connect provider unavailable");
            let mut l = Layout::public_in(lang, "login-title");
            l.csrf = session.csrf_token.clone();
            let error = l.t("login-oidc-unavailable");
            let page = pages::render(
                StatusCode::SERVICE_UNAVAILABLE,
                &LoginPage::new(&state, l, "", Some(error)),
            );
            return Ok(with_cookie(&state, page, new.then_some(token)));
        }
    };
    let (keys, hash) = (state.secrets.clone(), session.id_hash.clone());
    state
        .run(move |conn| service::oidc::begin(conn, &keys, &hash, &pending))
        .await?;
    let mut res = redirect(&url);
    if let Err(e) = res.add_cookie(&state.oidc_cookie(&token)) {
        tracing::error!(error = %e, "cookie");
    }
    Ok(with_cookie(&state, res, new.then_some(token)))
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: the issuer that answers, where the provider says so.
    iss: Option<String>,
}

#[derive(Template)]
#[template(path = "oidc_done.html")]
struct DonePage {
    l: Layout,
}

#[derive(Template)]
#[template(path = "oidc_acr.html")]
struct AcrPage {
    l: Layout,
    provider_name: String,
}

/// The provider sent the visitor back: check everything, then log them in — or refuse, logged.
async fn callback(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let p = provider(&state, &id)?;
    let method = LoginMethod::Oidc {
        provider: p.config.id.clone(),
    };
    let lang = visitor_lang(&req);
    let ctx = visitor.ctx(&state);
    let q = query.into_inner();
    let cookie = req
        .cookie(state.oidc_cookie("").name())
        .map(|c| c.value().to_string());
    let taken = match cookie {
        Some(value) if !value.is_empty() => {
            let (keys, t, ctx) = (state.secrets.clone(), state.timeouts(), ctx.clone());
            state
                .run(move |conn| service::oidc::take(conn, &ctx, &keys, &value, t))
                .await?
        }
        _ => None,
    };
    let refusal = Refusal {
        state: &state,
        visitor: &visitor,
        ctx: &ctx,
        method: &method,
        lang,
        csrf: taken.as_ref().map(|t| t.session.csrf_token.clone()),
    };
    let Some(taken) = taken else {
        return refusal.failed(OidcError::UnknownState, None).await;
    };
    let pending = match taken.pending {
        Ok(pending) if pending.provider == p.config.id => pending,
        Ok(_) => return refusal.failed(OidcError::StateMismatch, None).await,
        Err(e) => return refusal.failed(e, None).await,
    };
    let sent_state = q.state.unwrap_or_default();
    if sent_state.is_empty() || !tokens::same(&pending.state, &sent_state) {
        return refusal.failed(OidcError::StateMismatch, None).await;
    }
    if let Some(iss) = &q.iss
        && iss.trim_end_matches('/') != p.config.issuer.trim_end_matches('/')
    {
        return refusal
            .failed(OidcError::Issuer("the iss parameter".into()), None)
            .await;
    }
    if let Some(error) = q.error {
        // The provider's error code (RFC 6749 §4.1.2.1) as sent when it is a plain code; its
        // free-text description is not kept: anyone can put anything in a URL.
        let plain = !error.is_empty()
            && error.len() <= 64
            && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        // Empty: an unknown code (`OidcError::log_msg` says so in the reader's language).
        let code = if plain { error } else { String::new() };
        return refusal.failed(OidcError::ProviderError(code), None).await;
    }
    let code = q.code.unwrap_or_default();
    let redirect_uri = callback_url(&state, &p.config.id);
    let verified = match p.finish(&redirect_uri, &pending, &code, ctx.now).await {
        Ok(v) => v,
        Err(e) => return refusal.failed(e, None).await,
    };
    let required = p.config.required_acr.trim();
    if !acr_satisfies(required, verified.acr.as_deref()) {
        let e = OidcError::AcrTooLow {
            required: required.to_string(),
            got: verified.acr.clone(),
        };
        refusal.log(&e, Some(&verified.hsa_id)).await?;
        let mut res = pages::render(
            StatusCode::FORBIDDEN,
            &AcrPage {
                l: Layout::public_in(lang, "login-acr-title"),
                provider_name: p.config.name.clone(),
            },
        );
        remove_oidc_cookie(&state, &mut res);
        return Ok(res);
    }
    let detail = Msg::key("log-oidc-provider")
        .arg("name", p.config.name.as_str())
        .arg("id", p.config.id.as_str())
        .arg("acr", verified.acr.as_deref().unwrap_or("–"));
    let (keys, ctx2, old) = (state.secrets.clone(), ctx.clone(), taken.session.id_hash);
    let method = method.clone();
    let logged_in = state
        .run(move |conn| {
            let proven = Proven {
                method,
                hsa_id: &verified.hsa_id,
                detail: Some(detail),
                id_token: Some(&verified.id_token),
            };
            identified::login(conn, &ctx2, &keys, &proven, Some(&old))
        })
        .await;
    match logged_in {
        Ok(l) => {
            // A page, not a redirect: the browser sends the `Strict` session cookie only on a
            // navigation that begins on our own site, and this one began at the provider.
            let mut res = pages::ok(&DonePage {
                l: Layout::public_in(lang, "login-oidc-done-title"),
            });
            remove_oidc_cookie(&state, &mut res);
            Ok(with_cookie(&state, res, Some(l.token)))
        }
        // Unknown or deactivated: the answer of a failed password login (logged by the service).
        Err(AppError::Service(ServiceError::LoginFailed)) => refusal.page().await,
        Err(e) => Err(e),
    }
}

fn remove_oidc_cookie(state: &AppState, res: &mut HttpResponse) {
    if let Err(e) = res.add_removal_cookie(&state.oidc_removal_cookie()) {
        tracing::error!(error = %e, "cookie");
    }
}

/// How a refused callback answers: logged, then the login page with the failed-login message.
struct Refusal<'a> {
    state: &'a AppState,
    visitor: &'a Visitor,
    ctx: &'a Ctx,
    method: &'a LoginMethod,
    lang: Lang,
    /// The anonymous session's CSRF token, when the callback found it.
    csrf: Option<String>,
}

impl Refusal<'_> {
    async fn log(&self, e: &OidcError, hsa_id: Option<&str>) -> Result<(), AppError> {
        // The log's words: no values taken from the request or the token.
        let words = e.log_msg();
        tracing::warn!(provider = %self.method.code(), reason = %words, "OpenID Connect login refused");
        let (ctx, method) = (self.ctx.clone(), self.method.clone());
        let hsa = hsa_id.map(str::to_string);
        self.state
            .run(move |conn| identified::refused(conn, &ctx, &method, hsa.as_deref(), words))
            .await
    }

    async fn failed(&self, e: OidcError, hsa_id: Option<&str>) -> Result<HttpResponse, AppError> {
        self.log(&e, hsa_id).await?;
        self.page().await
    }

    /// The login page with "Inloggningen misslyckades", as after a failed password login.
    async fn page(&self) -> Result<HttpResponse, AppError> {
        let (csrf, new) = match &self.csrf {
            Some(c) => (c.clone(), None),
            None => {
                let (s, new) = session_for_form(self.state, self.visitor).await?;
                (s.csrf_token, new)
            }
        };
        let mut l = Layout::public_in(self.lang, "login-title");
        l.csrf = csrf;
        let error = l.t("login-error-failed");
        let mut res = pages::render(
            StatusCode::UNAUTHORIZED,
            &LoginPage::new(self.state, l, "", Some(error)),
        );
        remove_oidc_cookie(self.state, &mut res);
        Ok(with_cookie(self.state, res, new))
    }
}
