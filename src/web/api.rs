//! The intake API for e-form platforms: `POST /api/v1/arenden` with a bearer token and an
//! `Idempotency-Key`, JSON in and out, errors that name the field; `GET /api/openapi.json`.
//! No cookies: the request guard exempts `/api/` from sessions and CSRF (a bearer token is not
//! sent by a browser on its own).
//! Its error texts stay Swedish whatever the caller asks: they are part of the API's contract
//! (`openapi.json`), read by a platform's developers, not by staff in the application.

use super::AppState;
use crate::service::intake::{self, IntakeRequest};
use crate::service::{Ctx, ServiceError};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/arenden", web::post().to(file_case))
        .route("/api/v1/arenden", web::route().to(only_post))
        .route("/api/openapi.json", web::get().to(openapi))
        .route("/api/openapi.json", web::route().to(only_get));
}

/// Another method on an API path: 405 with the method it takes in `Allow` (not the HTML 404).
fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut r = error(
        StatusCode::METHOD_NOT_ALLOWED,
        vec![("method".into(), format!("Använd {allow}."))],
    );
    r.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static(allow),
    );
    r
}

async fn only_post() -> HttpResponse {
    method_not_allowed("POST")
}

async fn only_get() -> HttpResponse {
    method_not_allowed("GET")
}

pub const BODY_LIMIT: usize = 64 * 1024;

/// A technical failure: 503 with `Retry-After` when the database is unreachable (the platform
/// retries later), 500 otherwise; nothing was saved either way.
fn failure(e: &AppError, message: String) -> HttpResponse {
    if e.is_unavailable() {
        let mut res = error(
            StatusCode::SERVICE_UNAVAILABLE,
            vec![("body".into(), message)],
        );
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("10"),
        );
        res
    } else {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            vec![("body".into(), message)],
        )
    }
}

pub(crate) fn error(status: StatusCode, errors: Vec<(String, String)>) -> HttpResponse {
    let list: Vec<_> = errors
        .into_iter()
        .map(|(f, m)| json!({"field": f, "message": m}))
        .collect();
    HttpResponse::build(status).json(json!({ "errors": list }))
}

async fn file_case(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    let unauthorized = || {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            vec![("Authorization".into(), "Ogiltig eller saknad token.".into())],
        );
        r.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer"),
        );
        r
    };
    if token.is_empty() || token.len() > 200 {
        return Ok(unauthorized());
    }
    // The token first: nothing about the request is answered to someone without a valid one.
    let client = match state
        .run(move |c| intake::client_for_token(c, &token))
        .await
    {
        Ok(Some(client)) => client,
        Ok(None) => return Ok(unauthorized()),
        Err(e) => {
            tracing::error!(error = %e, "intake token check failed");
            return Ok(failure(
                &e,
                "Tekniskt fel; inget sparades. Försök igen.".into(),
            ));
        }
    };
    if !is_json(&req) {
        return Ok(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec![(
                "Content-Type".into(),
                "Skicka ärendet som JSON med Content-Type: application/json.".into(),
            )],
        ));
    }
    if body.len() > BODY_LIMIT {
        return Ok(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            vec![("body".into(), format!("Högst {BODY_LIMIT} byte."))],
        ));
    }
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| has_nul(&v)) {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            vec![("body".into(), crate::messages::NUL_REFUSED.to_string())],
        ));
    }
    let parsed: IntakeRequest = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            // serde names the field in its message ("missing field `x`", "unknown field `y`").
            let field = e
                .to_string()
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| "body".into());
            return Ok(error(
                StatusCode::BAD_REQUEST,
                vec![(field, format!("Ogiltig JSON: {e}"))],
            ));
        }
    };
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let digest = intake::request_digest(&body);
    let client_addr = req
        .connection_info()
        .peer_addr()
        .unwrap_or("okänd")
        .to_string();
    let now = state.clock.now();
    let max_age = state.config.journal_note_max_age_days;
    let result = state
        .run(move |c| {
            let ctx = Ctx {
                now,
                client_addr: format!("{client_addr} ({})", client.name),
                principal: crate::service::Principal::ApiClient {
                    id: client.id,
                    name: client.name.clone(),
                },
            };
            intake::file_case(c, &ctx, &client, &key, &digest, &parsed, max_age)
        })
        .await;
    match result {
        Ok(f) => {
            let status = if f.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(HttpResponse::build(status).json(json!({"id": f.case_id, "status": "submitted"})))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => Ok(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .0
                .into_iter()
                .map(|(f, m)| (f.to_string(), m.to_string()))
                .collect(),
        )),
        Err(AppError::Service(ServiceError::Conflict(m))) => Ok(error(
            StatusCode::CONFLICT,
            // The API answers in Swedish, as before.
            vec![("Idempotency-Key".into(), m.to_string())],
        )),
        Err(AppError::Service(ServiceError::Refused(m))) => Ok(error(
            StatusCode::CONFLICT,
            vec![("body".into(), m.to_string())],
        )),
        Err(e) => {
            tracing::error!(error = %e, "intake failed");
            Ok(failure(
                &e,
                "Tekniskt fel; inget sparades. Försök igen med samma Idempotency-Key.".into(),
            ))
        }
    }
}

/// `Content-Type: application/json`, parameters (a charset) allowed.
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// A NUL character anywhere in a JSON value, keys included.
fn has_nul(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}
