//! Static files (embedded in the binary) and the health check.

use super::AppState;
use actix_web::{HttpResponse, web};

const STYLE: &str = include_str!("../../static/style.css");

pub async fn file(path: web::Path<String>) -> HttpResponse {
    match path.as_str() {
        "style.css" => HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .body(STYLE),
        _ => super::pages::not_found().await,
    }
}

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.run(crate::service::ping).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
