//! Static files (embedded in the binary) and the health check.

use super::AppState;
use actix_web::{HttpResponse, web};

const STYLE: &str = include_str!("../../static/style.css");

pub async fn file(path: web::Path<String>) -> HttpResponse {
    match path.as_str() {
        "style.css" => HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .body(STYLE),
        _ => super::pages::no_page(),
    }
}

/// The longest `/healthz` takes before it answers 503.
pub const HEALTH_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// 200 when the database takes a write (this node's heartbeat) within two seconds, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let (node, now) = (state.node.clone(), state.clock.now());
    let beat = state.run(move |c| crate::service::ping(c, &node, now));
    let failure = match tokio::time::timeout(HEALTH_DEADLINE, beat).await {
        Ok(Ok(())) => return HttpResponse::Ok().content_type("text/plain").body("ok"),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 2 s".to_string(),
    };
    tracing::error!(error = %failure, "health check failed");
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain")
        .body("database unavailable")
}
