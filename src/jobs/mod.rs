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

/// Seals the access log every second (docs/architecture.md, "The access log"). Any number of
/// instances may run this against one PostgreSQL: a round that finds another node sealing does
/// nothing.
pub fn spawn_audit_sealer(
    state: web::Data<AppState>,
    sealer: std::sync::Arc<crate::audit::Sealer>,
) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (pool, now, sealer) = (
                state.pool.clone(),
                crate::db::ts(state.clock.now()),
                sealer.clone(),
            );
            let result = web::block(move || -> Result<_, crate::audit::AuditError> {
                let mut conn = pool.get()?;
                sealer.run(&mut conn, now, false)
            })
            .await;
            match result {
                Ok(Ok(r)) if r.sealed > 0 => {
                    tracing::debug!(
                        sealed = r.sealed,
                        seal_seq = r.head_seq,
                        "access log sealed"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "access log sealing failed"),
                Err(e) => tracing::warn!(error = %e, "access log sealer"),
            }
        }
    });
}

/// Delivers the outbox every `mail_interval_seconds`. Each pass claims its messages, so any
/// number of instances may run this against one PostgreSQL.
pub fn spawn_mail_worker(state: web::Data<AppState>, smtp: crate::mail::transport::SmtpSettings) {
    let worker = format!(
        "{}-{}",
        std::process::id(),
        crate::auth::tokens::random_token()
    );
    let every = Duration::from_secs(state.config.mail_interval_seconds.max(1));
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let (pool, clock, smtp, worker) = (
                state.pool.clone(),
                state.clock.clone(),
                smtp.clone(),
                worker.clone(),
            );
            let result = web::block(move || {
                crate::service::outbox::deliver_due(&pool, &smtp, clock.as_ref(), &worker)
            })
            .await;
            match result {
                Ok(Ok(r)) if r != Default::default() => {
                    tracing::info!(
                        sent = r.sent,
                        retrying = r.retrying,
                        failed = r.failed,
                        "mail delivery"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "mail delivery failed"),
                Err(e) => tracing::warn!(error = %e, "mail worker"),
            }
        }
    });
}

/// The reminder job, on a cron schedule (every minute). Reminders are recorded once per case and
/// key in the database, so restarts and several instances never send one twice, and a start
/// after downtime catches up.
pub async fn spawn_reminders(
    state: web::Data<AppState>,
) -> Result<(), tokio_cron_scheduler::JobSchedulerError> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let sched = JobScheduler::new().await?;
    let job = Job::new_async("0 * * * * *", move |_id, _sched| {
        let state = state.clone();
        Box::pin(async move {
            let now = state.clock.now();
            let policy = crate::service::reminders::Policy::from_config(&state.config);
            let wf = crate::service::cases::Workflow::from_config(&state.config);
            match state
                .run(move |c| crate::service::reminders::run_due(c, now, policy, &wf))
                .await
            {
                Ok(n) if n > 0 => tracing::info!(reminders = n, "reminders written to the outbox"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reminder job failed"),
            }
        })
    })?;
    sched.add(job).await?;
    sched.start().await?;
    // The scheduler runs on its own tasks; keep it alive for the life of the process.
    std::mem::forget(sched);
    Ok(())
}
