//! Scheduled work run by `serve`.

use crate::web::AppState;
use actix_web::web;
use std::time::Duration;

/// Removes expired sessions every five minutes.
pub fn spawn_session_purge(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            let now = state.clock.now();
            let t = state.timeouts();
            match state
                .run(move |conn| crate::service::session::purge_expired(conn, now, t))
                .await
            {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
        }
    });
}
