//! Logging in with a SITHS card: `POST /login/siths`, the login page's button (with the form's
//! CSRF token), takes the client certificate of the request — verified in our own TLS handshake
//! (`crate::tls`, put on the connection by `tls::on_connect`), or forwarded by a trusted proxy
//! in `client_cert_header` — checks its dates against the clock and logs its holder in
//! (`service::clientcert`).

use super::AppState;
use super::Visitor;
use super::auth::{redirect, visitor_lang, with_cookie};
use super::login::login_failed_page;
use crate::auth::clientcert;
use crate::i18n::{Arg, Msg};
use crate::messages::log;
use crate::service::{self, ServiceError};
use crate::tls::PeerCert;
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::net::IpAddr;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/siths", web::post().to(login));
}

/// The certificate a request brings, and how.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    /// Verified in our TLS handshake.
    Tls(Vec<u8>),
    /// Forwarded by a trusted proxy.
    Proxy(Vec<u8>),
    /// None at all.
    Nothing,
    /// The header, from an address that is not a trusted proxy: ignored.
    Untrusted(Option<IpAddr>),
    /// The header from a trusted proxy, but not a certificate.
    Unreadable,
}

fn presented(state: &AppState, req: &HttpRequest) -> Presented {
    if let Some(PeerCert(der)) = req.conn_data::<PeerCert>() {
        return Presented::Tls(der.clone());
    }
    let Some(value) = req
        .headers()
        .get(state.config.client_cert_header.trim())
        .filter(|v| !v.is_empty())
    else {
        return Presented::Nothing;
    };
    // The TCP peer, never X-Forwarded-For: only the proxy itself may vouch for a certificate.
    let peer = req.peer_addr().map(|a| a.ip().to_canonical());
    let trusted = peer.is_some_and(|p| {
        state
            .config
            .client_cert_proxies()
            .iter()
            .any(|t| t.to_canonical() == p)
    });
    if !trusted {
        return Presented::Untrusted(peer);
    }
    match clientcert::from_header(value.as_bytes()) {
        Some(der) => Presented::Proxy(der),
        None => Presented::Unreadable,
    }
}

async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if !state.config.client_cert_login() {
        return Err(AppError::Service(ServiceError::NotFound));
    }
    let lang = visitor_lang(&req);
    let Some(s) = visitor.session().cloned() else {
        return Err(AppError::Csrf);
    };
    let page = |status: StatusCode, key: &str| {
        login_failed_page(&state, lang, &s.csrf_token, status, key, "")
    };
    let ip = visitor
        .0
        .client_addr
        .parse()
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !state.login_limiter.allow(ip) {
        return Ok(page(StatusCode::TOO_MANY_REQUESTS, "login-error-rate"));
    }
    let ctx = visitor.ctx(&state);
    // Why no valid card was presented: written to the access log, then the page says so.
    let refuse = |hsa: Option<String>, reason: Msg| {
        let ctx = ctx.clone();
        let state = state.clone();
        async move {
            state
                .run(move |conn| service::clientcert::refused(conn, &ctx, hsa.as_deref(), reason))
                .await
        }
    };
    let no_card = || page(StatusCode::UNAUTHORIZED, "siths-error-no-card");
    let (der, how) = match presented(&state, &req) {
        Presented::Tls(der) => (der, "log-card-via-own-tls"),
        Presented::Proxy(der) => (der, "log-card-via-proxy"),
        Presented::Nothing => {
            refuse(None, Msg::key("log-card-none")).await?;
            return Ok(no_card());
        }
        Presented::Untrusted(peer) => {
            let peer = peer.map(|p| p.to_string());
            tracing::warn!(
                peer = %peer.as_deref().unwrap_or("unknown"),
                header = %state.config.client_cert_header,
                "a client certificate header from an address that is not a trusted proxy: ignored"
            );
            refuse(
                None,
                Msg::key("log-card-untrusted-header")
                    .arg("header", state.config.client_cert_header.as_str())
                    .arg(
                        "peer",
                        peer.map_or_else(|| Arg::Key("log-card-unknown-address".into()), Arg::Str),
                    ),
            )
            .await?;
            return Ok(no_card());
        }
        Presented::Unreadable => {
            refuse(None, Msg::key("log-card-header-unreadable")).await?;
            return Ok(no_card());
        }
    };
    let card = match clientcert::read(&der) {
        Ok(c) => c,
        Err(e) => {
            refuse(
                None,
                Msg::key("log-card-unreadable-why").arg("error", e.to_string()),
            )
            .await?;
            return Ok(no_card());
        }
    };
    if let Err(e) = card.check_dates(ctx.now) {
        let reason = match e {
            clientcert::CardError::Expired(t) => {
                Msg::key("log-card-expired").arg("at", t.format("%Y-%m-%d %H:%M UTC").to_string())
            }
            clientcert::CardError::NotYetValid(t) => Msg::key("log-card-not-yet-valid")
                .arg("at", t.format("%Y-%m-%d %H:%M UTC").to_string()),
            clientcert::CardError::Unreadable => Msg::key("log-card-unreadable"),
        };
        let via = Msg::key("log-card-via").arg("how", Arg::Key(how.into()));
        refuse(card.serial_number.clone(), log::both(reason, via)).await?;
        return Ok(no_card());
    }
    let detail = Msg::key("log-card")
        .arg("how", Arg::Key(how.into()))
        .arg("serial", card.cert_serial.as_str())
        .arg("issuer", card.issuer.as_str());
    let old = s.id_hash.clone();
    let keys = state.secrets.clone();
    let result = state
        .run(move |conn| {
            // A certificate without a serialNumber names nobody: the same refusal as an
            // unknown HSA-ID.
            let hsa = card.serial_number.unwrap_or_default();
            service::identified::login(
                conn,
                &ctx,
                &keys,
                &service::identified::Proven {
                    method: crate::domain::login::LoginMethod::ClientCert,
                    hsa_id: &hsa,
                    detail: Some(detail),
                    id_token: None,
                },
                Some(&old),
            )
        })
        .await;
    match result {
        Ok(logged_in) => Ok(with_cookie(&state, redirect("/"), Some(logged_in.token))),
        Err(AppError::Service(ServiceError::LoginFailed)) => {
            Ok(page(StatusCode::UNAUTHORIZED, "login-error-failed"))
        }
        Err(e) => Err(e),
    }
}
