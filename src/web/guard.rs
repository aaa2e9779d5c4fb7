//! The request guard every request passes: finds the session, checks CSRF and Origin on every
//! POST, and puts the security headers on every response.

use super::request::{REQUEST_ID, REQUEST_LANG};
use super::{AppState, ReqInfo};
use crate::auth::tokens;
use crate::i18n::Lang;
use crate::service::session;
use crate::web::error::AppError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::StreamExt;
use tracing::Instrument;

/// The language a visitor's browser asks for (`Accept-Language`); Swedish otherwise.
pub fn accept_language(headers: &actix_web::http::header::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A new request id: 16 hex digits (64 random bits), or the proxy's `X-Request-Id` when the proxy
/// is trusted (`trust_forwarded_for`) and the id is short and plain, so that one id follows a
/// request through the proxy's log and ours.
fn new_request_id(req: &ServiceRequest, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(id) = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                (1..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            })
    {
        return id.to_string();
    }
    let mut b = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}

/// The largest form body accepted (case texts are long, but not this long).
pub const BODY_LIMIT: usize = 256 * 1024;
/// The longest a request body may take to arrive.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Gives the request its id: every log line of the request carries it (a tracing span, also
/// entered on the blocking threads by `AppState::run`), the response has it as `X-Request-Id`,
/// and an error page shows it as the reference to give support.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(AppError::Internal("no state".into()).into());
    };
    let id = new_request_id(&req, state.config.trust_forwarded_for);
    let span = tracing::info_span!("request", id = %id);
    // Path only: query strings may hold search terms, and no route carries personal data.
    let (method, path, started) = (
        req.method().clone(),
        log_path(req.path()),
        std::time::Instant::now(),
    );
    let metrics = state.metrics.clone();
    let lang = std::cell::Cell::new(accept_language(req.headers()));
    // One database connection serves the whole request (`AppState::run`); it goes back to the
    // pool when the scope ends with the response.
    let mut res = REQUEST_ID
        .scope(
            id.clone(),
            REQUEST_LANG.scope(
                lang,
                super::REQUEST_CONN.scope(
                    std::cell::RefCell::new(None),
                    checked(req, next, state).instrument(span.clone()),
                ),
            ),
        )
        .await?;
    if let Some(m) = metrics {
        // The route's pattern, never the path: no personal data or unbounded values as labels.
        let route = res.request().match_pattern();
        m.observe(
            route.as_deref().unwrap_or("(none)"),
            method.as_str(),
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    if !path.starts_with("/static/") {
        span.in_scope(|| {
            tracing::info!(
                method = %method,
                path = %path,
                status = res.status().as_u16(),
                ms = started.elapsed().as_millis() as u64,
                "request"
            )
        });
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    Ok(res)
}

async fn checked(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: web::Data<AppState>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_asset = req.path().starts_with("/static/") || req.path() == "/healthz";
    // The intake API authenticates each request by bearer token: no session, no CSRF.
    let is_api = req.path().starts_with("/api/");
    // A NUL byte is never data here (PostgreSQL cannot even store one in text): refused before
    // anything reads the query string.
    if has_encoded_nul(req.path()) || has_encoded_nul(req.query_string()) {
        let res = if is_api {
            super::api::error(
                actix_web::http::StatusCode::BAD_REQUEST,
                vec![("query".into(), crate::messages::NUL_REFUSED.to_string())],
            )
        } else {
            AppError::NulByte.error_response()
        };
        return Ok(finish(req.into_response(res), &state, false));
    }
    let client_addr = client_addr(&req, state.config.trust_forwarded_for);
    let cookie = req
        .cookie(state.cookie_name())
        .map(|c| c.value().to_string());

    // A POST's body is read first (bounded in size and time), before the session's connection
    // is taken: a body that trickles in never holds a database connection.
    let sent_token = if req.method() == Method::POST && !is_api {
        match read_post(&mut req, state.config.attachment_max_bytes).await {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::warn!(path = %log_path(req.path()), reason = %e, "refused POST");
                return Ok(finish(req.into_response(e.error_response()), &state, false));
            }
        }
    } else {
        None
    };

    // A POST's session is read now, for its CSRF check; any other request's when a handler
    // first needs it (`web::principal`), so that a page can read it in its own run.
    let mut pending = None;
    let session = match (is_asset || is_api, cookie) {
        (false, Some(value)) if !value.is_empty() && sent_token.is_some() => {
            let now = state.clock.now();
            let t = state.timeouts();
            match state
                .run(move |conn| session::load(conn, &value, now, t))
                .await
            {
                Ok(s) => s,
                Err(e) => return Ok(finish(req.into_response(e.error_response()), &state, false)),
            }
        }
        (false, Some(value)) if !value.is_empty() => {
            pending = Some(super::principal::PendingSession::new(value));
            None
        }
        _ => None,
    };
    // Logged in (or half-way): the user's own language from here on.
    if let Some(a) = session.as_ref().and_then(|s| s.holder.staff()) {
        let _ = REQUEST_LANG.try_with(|l| l.set(a.lang));
    }

    if let Some(sent) = sent_token {
        let ok = match (session.as_ref(), sent) {
            (Some(s), Some(t)) => tokens::same(&s.csrf_token, &t),
            _ => false,
        };
        if !ok {
            let e = AppError::Csrf;
            tracing::warn!(path = %log_path(req.path()), reason = %e, "refused POST");
            return Ok(finish(req.into_response(e.error_response()), &state, false));
        }
    }

    req.extensions_mut().insert(ReqInfo {
        client_addr,
        session,
    });
    if let Some(p) = pending {
        req.extensions_mut().insert(p);
    }
    let cacheable = req.path().starts_with("/static/");
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(finish(res, &state, cacheable))
}

/// Checks a POST's origin and content type and reads its body (put back for the handler);
/// returns the CSRF token it carries, for the caller to compare with the session's.
async fn read_post(
    req: &mut ServiceRequest,
    upload_limit: usize,
) -> Result<Option<String>, AppError> {
    if !same_origin(req) {
        return Err(AppError::Csrf);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    // File uploads (scanned forms) carry the token as a multipart field.
    let is_multipart = content_type.starts_with("multipart/form-data");
    if !is_form && !is_multipart {
        return Err(AppError::Unsupported);
    }
    let limit = if is_multipart {
        upload_limit + 64 * 1024
    } else {
        BODY_LIMIT
    };
    let mut payload = req.take_payload();
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest("body".into()))?;
            if body.len() + chunk.len() > limit {
                return Err(AppError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    // A body that trickles in is refused after a bounded time, and its connection let go.
    let body = tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .map_err(|_| AppError::BadRequest("the body did not arrive in time".into()))??;
    // A form body is text: no NUL, encoded or raw (a PDF upload may hold any byte).
    if is_form && (body.contains(&0) || has_encoded_nul(&String::from_utf8_lossy(&body))) {
        return Err(AppError::NulByte);
    }
    let sent = if is_multipart {
        // Malformed (e.g. cut before its closing boundary): refused here, never waited on.
        let boundary = super::multipart::boundary(&content_type)
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        super::multipart::parse(&body, &boundary)
            .map_err(|e| AppError::BadRequest(e.to_string()))?
            .into_iter()
            .find(|p| p.name == "csrf_token")
            .and_then(|p| std::str::from_utf8(p.data).ok().map(str::to_string))
    } else {
        serde_html_form::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == "csrf_token")
                    .map(|(_, v)| v)
            })
    };
    req.set_payload(bytes_to_payload(body));
    Ok(sent)
}

/// A percent-encoded NUL (`%00`) in a path, query string or form body.
fn has_encoded_nul(s: &str) -> bool {
    s.contains("%00") || s.contains('\0')
}

/// The path as logged: one-time tokens are cut off.
fn log_path(path: &str) -> String {
    match path.strip_prefix("/aktivera/") {
        Some(_) => "/aktivera/…".to_string(),
        None => path.chars().take(200).collect(),
    }
}

fn bytes_to_payload(buf: web::Bytes) -> Payload {
    let (_, mut pl) = actix_http::h1::Payload::create(true);
    pl.unread_data(buf);
    Payload::from(pl)
}

/// A POST must come from our own pages: `Sec-Fetch-Site` (when sent) must not be cross-site, and
/// an `Origin` (when it names one; `null` is what browsers send under `no-referrer`) must be this
/// host.
fn same_origin(req: &ServiceRequest) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && (site == "cross-site" || site == "same-site")
    {
        return false;
    }
    match h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => true,
        Some(origin) => {
            let host = h
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

fn client_addr(req: &ServiceRequest, trust_forwarded: bool) -> String {
    let info = req.connection_info();
    let addr = if trust_forwarded {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    let addr = addr.unwrap_or("okänd");
    // Strip the port: the log wants the address.
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => addr.to_string(),
    }
}

fn finish(
    mut res: ServiceResponse<BoxBody>,
    state: &AppState,
    cacheable: bool,
) -> ServiceResponse<BoxBody> {
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "no-referrer");
    set("cross-origin-opener-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if cacheable {
        set("cache-control", "public, max-age=3600");
    } else {
        set("cache-control", "no-store");
    }
    if state.config.is_https() {
        set(
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}
