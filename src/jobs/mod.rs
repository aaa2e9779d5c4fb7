//! Scheduled work run by `serve`.

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{DbConnection, Pool};
use crate::service::ServiceError;
use std::sync::Arc;
use std::time::Duration;

/// What scheduled work needs, and no more: the pool, the settings, the clock, and a hook that
/// records when a reminder round ran (the metrics). Jobs know nothing of the web layer.
#[derive(Clone)]
pub struct JobContext {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub reminders_ran: Option<Arc<dyn Fn(i64) + Send + Sync>>,
    /// SQLite: the connection write transactions run on (`db::writer`).
    pub writer: Option<Arc<crate::db::writer::Writer>>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("job thread: {0}")]
    Join(String),
}

impl JobContext {
    /// Runs database work on the blocking pool, never on the executor.
    pub async fn run<T, F>(&self, f: F) -> Result<T, JobError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || -> Result<T, JobError> {
            let mut conn = pool.get().map_err(crate::db::DbError::from)?;
            Ok(crate::db::writer::with_writer(writer.as_ref(), || {
                f(&mut conn)
            })?)
        })
        .await
        .map_err(|e| JobError::Join(e.to_string()))?
    }
}

/// Exponential back-off for a periodic job while it fails (the database is down, say): after `n`
/// failures in a row the job sits out `min(2^n, cap)` periods, and a failure is logged only when
/// the count reaches a power of two — a few lines per outage instead of one per tick — plus one
/// line when the job works again.
#[derive(Debug)]
pub struct Backoff {
    job: &'static str,
    period: Duration,
    cap: Duration,
    failures: u32,
    skip: u64,
}

impl Backoff {
    pub fn new(job: &'static str, period: Duration, cap: Duration) -> Backoff {
        Backoff {
            job,
            period,
            cap,
            failures: 0,
            skip: 0,
        }
    }

    /// Whether this tick runs (false while backing off).
    pub fn ready(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            false
        } else {
            true
        }
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait before the next try after the failures so far.
    pub fn wait(&self) -> Duration {
        if self.failures == 0 {
            return self.period;
        }
        let factor = 1u32 << self.failures.min(16);
        self.period
            .saturating_mul(factor)
            .min(self.cap.max(self.period))
    }

    pub fn failed(&mut self, error: &dyn std::fmt::Display) {
        self.failures = self.failures.saturating_add(1);
        let wait = self.wait();
        let period_ms = self.period.as_millis().max(1);
        self.skip = u64::try_from(wait.as_millis() / period_ms)
            .unwrap_or(u64::MAX)
            .saturating_sub(1);
        if self.failures.is_power_of_two() {
            tracing::warn!(
                job = self.job,
                failures = self.failures,
                retry_in_s = wait.as_secs(),
                error = %error,
                "job failed; backing off"
            );
        }
    }

    pub fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::info!(job = self.job, failures = self.failures, "job works again");
        }
        self.failures = 0;
        self.skip = 0;
    }
}

/// Removes expired sessions every five minutes.
pub fn spawn_session_purge(state: JobContext) {
    actix_web::rt::spawn(async move {
        let every = Duration::from_secs(300);
        let mut tick = tokio::time::interval(every);
        let mut backoff = Backoff::new("session purge", every, Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if !backoff.ready() {
                continue;
            }
            let now = state.clock.now();
            let t = crate::service::session::Timeouts::from_config(&state.config);
            match state
                .run(move |conn| crate::service::session::purge_expired(conn, now, t))
                .await
            {
                Ok(n) => {
                    backoff.succeeded();
                    if n > 0 {
                        tracing::info!(removed = n, "expired sessions removed")
                    }
                }
                Err(e) => backoff.failed(&e),
            }
        }
    });
}

/// Seals the access log every second (docs/architecture.md, "The access log"). Any number of
/// instances may run this against one PostgreSQL: a round that finds another node sealing does
/// nothing.
pub fn spawn_audit_sealer(state: JobContext, sealer: std::sync::Arc<crate::audit::Sealer>) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = Backoff::new(
            "access log sealer",
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        loop {
            tick.tick().await;
            if !backoff.ready() {
                continue;
            }
            let (pool, now, sealer, writer) = (
                state.pool.clone(),
                crate::db::ts(state.clock.now()),
                sealer.clone(),
                state.writer.clone(),
            );
            let result =
                tokio::task::spawn_blocking(move || -> Result<_, crate::audit::AuditError> {
                    let mut conn = pool.get()?;
                    crate::db::writer::with_writer(writer.as_ref(), || {
                        sealer.run(&mut conn, now, false)
                    })
                })
                .await;
            match result {
                Ok(Ok(r)) => {
                    backoff.succeeded();
                    if r.sealed > 0 {
                        tracing::debug!(
                            sealed = r.sealed,
                            seal_seq = r.head_seq,
                            "access log sealed"
                        )
                    }
                }
                Ok(Err(e)) => backoff.failed(&e),
                Err(e) => backoff.failed(&e),
            }
        }
    });
}

/// SQLite: adds the access log's new subject rows to the citizen index in rounds
/// (`db::audit::index_citizens`), every [`CITIZEN_INDEX_EVERY`], or again at once after a round
/// that took a full batch. Until a round has run, a citizen search reads the rows after the index's
/// head directly, so nothing is ever missing from it; the rounds keep that tail short.
pub fn spawn_citizen_indexer(state: JobContext) {
    actix_web::rt::spawn(async move {
        let mut backoff = Backoff::new(
            "citizen index",
            CITIZEN_INDEX_EVERY,
            Duration::from_secs(60),
        );
        let mut full = false;
        loop {
            if full {
                // Behind (after a pause, or a start after a crash): catch up, yielding between
                // rounds so that requests get the writer in between.
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(CITIZEN_INDEX_EVERY).await;
            }
            full = false;
            if !backoff.ready() {
                continue;
            }
            match state.run(crate::service::audit::index_citizens).await {
                Ok(n) => {
                    backoff.succeeded();
                    full = n >= crate::db::audit::CITIZEN_ROUND_ROWS;
                    if n > 0 {
                        tracing::debug!(rows = n, "citizen index round");
                    }
                }
                Err(e) => backoff.failed(&e),
            }
        }
    });
}

/// How often the citizen index takes in the new subject rows: a round then holds SQLite's writer
/// for about a millisecond under a busy day's load (a tenth of a second's list views).
pub const CITIZEN_INDEX_EVERY: Duration = Duration::from_millis(100);

/// Delivers the outbox every `mail_interval_seconds`. Each pass claims its messages, so any
/// number of instances may run this against one PostgreSQL.
pub fn spawn_mail_worker(state: JobContext, smtp: crate::config::SmtpSettings) {
    let worker = format!(
        "{}-{}",
        std::process::id(),
        crate::auth::tokens::random_token()
    );
    let every = Duration::from_secs(state.config.mail_interval_seconds.max(1));
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut backoff = Backoff::new("mail delivery", every, Duration::from_secs(300));
        loop {
            tick.tick().await;
            if !backoff.ready() {
                continue;
            }
            let (pool, clock, smtp, worker, writer) = (
                state.pool.clone(),
                state.clock.clone(),
                smtp.clone(),
                worker.clone(),
                state.writer.clone(),
            );
            let result = tokio::task::spawn_blocking(move || {
                crate::db::writer::with_writer(writer.as_ref(), || {
                    crate::service::outbox::deliver_due(&pool, &smtp, clock.as_ref(), &worker)
                })
            })
            .await;
            match result {
                Ok(Ok(r)) => {
                    backoff.succeeded();
                    if r != Default::default() {
                        tracing::info!(
                            sent = r.sent,
                            retrying = r.retrying,
                            failed = r.failed,
                            "mail delivery"
                        )
                    }
                }
                Ok(Err(e)) => backoff.failed(&e),
                Err(e) => backoff.failed(&e),
            }
        }
    });
}

/// The reminder job, on a cron schedule (every minute). Reminders are recorded once per case and
/// key in the database, so restarts and several instances never send one twice, and a start
/// after downtime catches up.
pub async fn spawn_reminders(
    state: JobContext,
) -> Result<(), tokio_cron_scheduler::JobSchedulerError> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let sched = JobScheduler::new().await?;
    let backoff = std::sync::Arc::new(tokio::sync::Mutex::new(Backoff::new(
        "reminders",
        Duration::from_secs(60),
        Duration::from_secs(3600),
    )));
    let job = Job::new_async("0 * * * * *", move |_id, _sched| {
        let (state, backoff) = (state.clone(), backoff.clone());
        Box::pin(async move {
            let mut backoff = backoff.lock().await;
            if !backoff.ready() {
                return;
            }
            let now = state.clock.now();
            let policy = crate::service::reminders::Policy::from_config(&state.config);
            let wf = crate::service::cases::Workflow::from_config(&state.config);
            match state
                .run(move |c| crate::service::reminders::run_due(c, now, policy, &wf))
                .await
            {
                Ok(n) => {
                    backoff.succeeded();
                    if let Some(ran) = &state.reminders_ran {
                        ran(state.clock.now().timestamp());
                    }
                    if n > 0 {
                        tracing::info!(reminders = n, "reminders written to the outbox")
                    }
                }
                Err(e) => backoff.failed(&e),
            }
        })
    })?;
    sched.add(job).await?;
    sched.start().await?;
    // The scheduler runs on its own tasks; keep it alive for the life of the process.
    std::mem::forget(sched);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new("t", Duration::from_secs(1), Duration::from_secs(8));
        let mut skipped = vec![];
        for _ in 0..5 {
            assert!(b.ready());
            b.failed(&"down");
            let mut n = 0;
            while !b.ready() {
                n += 1;
            }
            skipped.push(n);
            // `ready` returned true for the next try; undo that to count the next round alike.
            b.skip = 0;
        }
        assert_eq!(skipped, vec![1, 3, 7, 7, 7]);
        assert_eq!(b.wait(), Duration::from_secs(8));
        b.succeeded();
        assert_eq!((b.failures(), b.wait()), (0, Duration::from_secs(1)));
        assert!(b.ready());
    }
}
