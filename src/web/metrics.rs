//! `/metrics` in the Prometheus text format, served on a listener of its own (`metrics_bind`),
//! never on the public one.
//!
//! Built on the `prometheus` crate (without its protobuf feature): its histogram buckets,
//! label handling and text encoder are well tried, and writing the exposition format by hand
//! would repeat them for no gain. The request histogram is filled by the request guard; the
//! gauges that describe the database (outbox, access log) are read when scraped, so a scrape
//! always tells the truth of the moment and nothing has to keep them up to date.

use super::AppState;
use crate::db;
use actix_web::{App, HttpResponse, web};
use prometheus::{
    Counter, Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("metrics: {0}")]
    Prometheus(#[from] prometheus::Error),
}

/// The metrics of one node (every series carries `node`).
pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    outbox_depth: IntGauge,
    outbox_oldest_age: Gauge,
    outbox_failed: IntGauge,
    reminder_lag: Gauge,
    pool: IntGaugeVec,
    pool_max: IntGauge,
    unsealed: IntGauge,
    unsealed_oldest_age: Gauge,
    database_up: IntGauge,
    blocking_runs: IntCounter,
    /// SQLite's single writer (`db::writer_use`); None on PostgreSQL, whose writers run side by
    /// side.
    writer: Option<WriterSeries>,
    /// When the reminder job last finished a run (unix seconds), or when the node started.
    reminders_ran_at: AtomicI64,
}

/// The counters of SQLite's writer lock, brought up to `db::writer_use` when scraped.
struct WriterSeries {
    taken: IntCounter,
    waited: Counter,
    held: Counter,
}

impl WriterSeries {
    fn new(registry: &Registry) -> Result<WriterSeries, MetricsError> {
        let taken = IntCounter::new(
            "sqlite_writer_taken_total",
            "Times a write transaction (or a checkpoint pass) of this node took SQLite's one writer",
        )?;
        let waited = Counter::new(
            "sqlite_writer_wait_seconds_total",
            "Seconds writers waited for SQLite's one writer, summed over the writers",
        )?;
        let held = Counter::new(
            "sqlite_writer_held_seconds_total",
            "Seconds SQLite's one writer was held; its rate near 1 means writes queue for it",
        )?;
        registry.register(Box::new(taken.clone()))?;
        registry.register(Box::new(waited.clone()))?;
        registry.register(Box::new(held.clone()))?;
        Ok(WriterSeries {
            taken,
            waited,
            held,
        })
    }

    /// Counters only go up: each gets what was added since the last scrape.
    fn update(&self, now: db::WriterUse) {
        self.taken
            .inc_by(now.taken.saturating_sub(self.taken.get()));
        self.waited
            .inc_by((now.waited_seconds - self.waited.get()).max(0.0));
        self.held
            .inc_by((now.held_seconds - self.held.get()).max(0.0));
    }
}

impl Metrics {
    /// `sqlite`: the node writes to SQLite, and its writer's counters are served too.
    pub fn new(node: &str, started_at: i64, sqlite: bool) -> Result<Metrics, MetricsError> {
        let mut labels = HashMap::new();
        labels.insert("node".to_string(), node.to_string());
        let registry = Registry::new_custom(Some("kontosparr".into()), Some(labels))?;
        let requests = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP requests by route pattern, method and status, and how long they took",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method", "status"],
        )?;
        let outbox_depth = IntGauge::new(
            "outbox_depth",
            "Messages waiting in the outbox (pending or being sent)",
        )?;
        let outbox_oldest_age = Gauge::new(
            "outbox_oldest_age_seconds",
            "Age of the oldest message waiting in the outbox (0 when none waits)",
        )?;
        let outbox_failed = IntGauge::new(
            "outbox_failed",
            "Messages that failed for good and wait for an administrator",
        )?;
        let reminder_lag = Gauge::new(
            "reminder_lag_seconds",
            "Seconds since this node's reminder job last finished a run (it runs every minute)",
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database connections of the pool by state",
            ),
            &["state"],
        )?;
        let pool_max = IntGauge::new("db_pool_max_connections", "The pool's size")?;
        let unsealed = IntGauge::new(
            "access_log_unsealed_rows",
            "Access-log rows not yet sealed into the hash chain",
        )?;
        let unsealed_oldest_age = Gauge::new(
            "access_log_unsealed_oldest_age_seconds",
            "Age of the oldest unsealed access-log row (0 when none)",
        )?;
        let database_up = IntGauge::new(
            "database_up",
            "1 when the database answered this scrape's queries",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(outbox_depth.clone()))?;
        registry.register(Box::new(outbox_oldest_age.clone()))?;
        registry.register(Box::new(outbox_failed.clone()))?;
        registry.register(Box::new(reminder_lag.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(unsealed.clone()))?;
        registry.register(Box::new(unsealed_oldest_age.clone()))?;
        let blocking_runs = IntCounter::new(
            "blocking_runs_total",
            "Trips of web requests to the blocking pool (database work, password hashes); \
             a page's own work, its session read included, is one",
        )?;
        registry.register(Box::new(database_up.clone()))?;
        registry.register(Box::new(blocking_runs.clone()))?;
        let writer = if sqlite {
            Some(WriterSeries::new(&registry)?)
        } else {
            None
        };
        Ok(Metrics {
            registry,
            requests,
            outbox_depth,
            outbox_oldest_age,
            outbox_failed,
            reminder_lag,
            pool,
            pool_max,
            unsealed,
            unsealed_oldest_age,
            database_up,
            blocking_runs,
            writer,
            reminders_ran_at: AtomicI64::new(started_at),
        })
    }

    /// One request: its route pattern (`/arenden/{id}`, never the concrete path, so that no
    /// personal data and no unbounded set of values becomes a label), method, status and time.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .observe(seconds);
    }

    /// A web request's trip to the blocking pool (`AppState::run`).
    pub fn blocking_run(&self) {
        self.blocking_runs.inc();
    }

    /// Trips to the blocking pool so far (see [`Metrics::blocking_run`]).
    pub fn blocking_runs(&self) -> u64 {
        self.blocking_runs.get()
    }

    /// The reminder job finished a run at `unix_seconds`.
    pub fn reminders_ran(&self, unix_seconds: i64) {
        self.reminders_ran_at.store(unix_seconds, Ordering::Relaxed);
    }

    /// Reads the database-backed gauges and renders every series.
    fn render(&self, state: &AppState) -> Result<String, MetricsError> {
        let now = state.clock.now();
        let age = |t: Option<chrono::NaiveDateTime>| {
            t.map(|t| (now.naive_utc() - t).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0)
        };
        let pool_state = state.pool.state();
        let idle = i64::from(pool_state.idle_connections);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(pool_state.connections) - idle);
        self.pool_max.set(i64::from(state.pool.max_size()));
        if let Some(w) = &self.writer {
            w.update(db::writer_use());
        }
        self.reminder_lag
            .set((now.timestamp() - self.reminders_ran_at.load(Ordering::Relaxed)).max(0) as f64);
        let read = db::checkout(&state.pool).and_then(|mut c| {
            let queue = db::outbox::queue(&mut c)?;
            let failed = db::outbox::count_by_status(&mut c, "failed")?;
            let unsealed = db::audit::unsealed(&mut c)?;
            Ok::<_, db::DbError>((queue, failed, unsealed))
        });
        match read {
            Ok(((depth, oldest), failed, (unsealed, oldest_unsealed))) => {
                self.database_up.set(1);
                self.outbox_depth.set(depth);
                self.outbox_oldest_age.set(age(oldest));
                self.outbox_failed.set(failed);
                self.unsealed.set(unsealed);
                self.unsealed_oldest_age.set(age(oldest_unsealed));
            }
            Err(e) => {
                // The other gauges keep their last values; `database_up` says they are stale.
                tracing::warn!(error = %e, "metrics: the database did not answer");
                self.database_up.set(0);
            }
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let Some(metrics) = state.metrics.clone() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let s = state.clone();
    match web::block(move || metrics.render(&s)).await {
        Ok(Ok(text)) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "metrics");
            HttpResponse::InternalServerError().finish()
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The metrics server on its own listener: `/metrics` and nothing else.
pub fn server(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    Ok(actix_web::HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}
