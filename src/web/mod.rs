//! HTTP: parse, authorise, call a service, render. No SQL here.

pub mod admin;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod clientcert;
pub mod download;
pub mod error;
pub mod guard;
pub mod login;
pub mod metrics;
pub mod multipart;
pub mod oidc;
pub mod pages;
pub mod principal;
pub mod request;
pub mod start;
pub mod stats;
pub mod view;

use crate::auth::ratelimit::RateLimiter;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{DbConnection, Pool, PooledConn};
use crate::domain::Role;
use crate::register::PopulationRegister;
use crate::service::session::{Session, Stage, Timeouts};
use crate::service::{Access, Actor, Ctx, Principal, ServiceError};
use crate::web::error::AppError;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, FromRequest, HttpRequest, web};
use std::sync::Arc;

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub login_limiter: RateLimiter,
    pub register: Arc<dyn PopulationRegister>,
    /// This node's name (`node_name`, or host name and bind address): its heartbeat row and the
    /// `node` of its metrics.
    pub node: String,
    /// None only if the series could not be registered (never with these fixed names).
    pub metrics: Option<Arc<metrics::Metrics>>,
    /// The key that encrypts TOTP secrets (`secret_key_file`).
    pub secrets: Arc<crate::auth::secrets::SecretBox>,
    /// The units, read at most every few seconds (`db::unit_cache`).
    pub units: Arc<crate::db::unit_cache::UnitCache>,
    /// Which list counts were above their cap a moment ago (`db::count_cache`).
    pub counts: Arc<crate::db::count_cache::CountCache>,
    /// The OpenID Connect providers (`oidc_providers`) and what was read from them.
    pub oidc: Arc<crate::auth::oidc::Registry>,
    /// SQLite: the connection every write transaction runs on (`db::writer`); None on PostgreSQL.
    pub writer: Option<Arc<crate::db::writer::Writer>>,
    /// The queue for the pool's connections: one permit per connection, handed out in the order
    /// requests asked (r2d2 lets a newcomer take a connection before a thread that has waited).
    pub turns: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// The state of a serving node. Reads the TOTP secret key (`secret_key_file`), creating it
    /// (0600) when missing.
    pub fn new(
        pool: Pool,
        config: Config,
        clock: Arc<dyn Clock>,
        register: Arc<dyn PopulationRegister>,
    ) -> Result<Self, crate::auth::secrets::SecretError> {
        let secrets = Arc::new(crate::auth::secrets::SecretBox::load_or_create(
            std::path::Path::new(&config.secret_key_file),
        )?);
        let login_limiter = RateLimiter::new(
            config.login_rate_per_ip,
            std::time::Duration::from_secs(config.login_rate_window_seconds),
        );
        let node = config.node();
        // Registering fixed, distinct series cannot fail; should it, the node runs unmeasured.
        let writer = crate::db::writer::Writer::for_url(&config.database_url);
        let metrics = match metrics::Metrics::new(&node, clock.now().timestamp(), writer.is_some())
        {
            Ok(m) => Some(Arc::new(m)),
            Err(e) => {
                tracing::error!(error = %e, "metrics unavailable");
                None
            }
        };
        Ok(AppState {
            writer,
            turns: Arc::new(tokio::sync::Semaphore::new(pool.max_size() as usize)),
            oidc: Arc::new(crate::auth::oidc::Registry::new(&config.oidc_providers)),
            secrets,
            node,
            metrics,
            pool,
            config: Arc::new(config),
            clock,
            login_limiter,
            register,
            units: Arc::new(crate::db::unit_cache::UnitCache::new(
                crate::db::unit_cache::UNIT_CACHE_TTL,
            )),
            counts: Arc::new(crate::db::count_cache::CountCache::new(
                crate::db::count_cache::MORE_THAN_TTL,
            )),
        })
    }

    pub fn timeouts(&self) -> Timeouts {
        Timeouts::from_config(&self.config)
    }

    /// What the scheduled jobs get: the pool, the settings, the clock and the metrics hook —
    /// not the web state.
    pub fn job_context(&self) -> crate::jobs::JobContext {
        let reminders_ran: Option<std::sync::Arc<dyn Fn(i64) + Send + Sync>> =
            self.metrics.clone().map(|m| {
                std::sync::Arc::new(move |t: i64| m.reminders_ran(t))
                    as std::sync::Arc<dyn Fn(i64) + Send + Sync>
            });
        crate::jobs::JobContext {
            pool: self.pool.clone(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            reminders_ran,
            writer: self.writer.clone(),
        }
    }

    /// The session cookie's name: `__Host-` prefixed (Secure, no Domain, Path=/) over https.
    pub fn cookie_name(&self) -> &'static str {
        if self.config.is_https() {
            "__Host-kontosparr"
        } else {
            "kontosparr"
        }
    }

    pub fn session_cookie(&self, token: &str) -> Cookie<'static> {
        Cookie::build(self.cookie_name(), token.to_string())
            .path("/")
            .http_only(true)
            .secure(self.config.is_https())
            .same_site(SameSite::Strict)
            .finish()
    }

    pub fn removal_cookie(&self) -> Cookie<'static> {
        let mut c = self.session_cookie("");
        c.make_removal();
        c
    }

    /// The cookie that carries the anonymous session to a provider's callback, and only there:
    /// `SameSite=Lax`, since the provider's redirect back is a cross-site navigation that does
    /// not carry the `Strict` session cookie. Lives as long as a login may take.
    pub fn oidc_cookie(&self, token: &str) -> Cookie<'static> {
        let name = if self.config.is_https() {
            "__Secure-kontosparr-oidc"
        } else {
            "kontosparr-oidc"
        };
        Cookie::build(name, token.to_string())
            .path("/login/oidc/")
            .http_only(true)
            .secure(self.config.is_https())
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(
                crate::auth::oidc::PENDING_MAX_SECONDS,
            ))
            .finish()
    }

    pub fn oidc_removal_cookie(&self) -> Cookie<'static> {
        let mut c = self.oidc_cookie("");
        c.make_removal();
        c
    }

    /// Runs blocking database work (and argon2) on the blocking pool, never on the executor.
    ///
    /// Within a request (inside the guard) every `run` uses the request's one connection: the
    /// first checks it out, it is kept between runs, and it goes back to the pool when the
    /// response is done (see [`REQUEST_CONN`]). The unit cache is installed for the work.
    ///
    /// Before its first checkout a request takes its turn at [`AppState::turns`]: requests get
    /// connections in the order they asked for them, and only as many requests as the pool has
    /// connections occupy a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(m) = &self.metrics {
            m.blocking_run();
        }
        let pool = self.pool.clone();
        let units = self.units.clone();
        let counts = self.counts.clone();
        let writer = self.writer.clone();
        let held = REQUEST_CONN
            .try_with(|c| c.borrow_mut().take())
            .ok()
            .flatten();
        let asked = std::time::Instant::now();
        let (held, turn) = match held {
            Some(h) => (Some(h.conn), h.turn),
            None => (None, self.turn().await?),
        };
        // The request's span (its id) follows the work onto the blocking thread.
        let span = tracing::Span::current();
        let (result, conn) = web::block(move || {
            let _entered = span.enter();
            let mut conn = match held {
                Some(c) => c,
                None => match crate::db::checkout_since(&pool, asked) {
                    Ok(c) => c,
                    Err(e) => return (Err(ServiceError::from(e)), None),
                },
            };
            let result = crate::db::writer::with_shared_writer(writer.as_ref(), || {
                crate::db::unit_cache::with_cache(&units, || {
                    crate::db::count_cache::with_counts(&counts, || {
                        // Every refusal is written to the access log, after the work's rollback.
                        f(&mut conn).map_err(|e| {
                            if e.is_unavailable() {
                                // Checkouts test their connection for a while: the server may have
                                // dropped the others in the pool too.
                                crate::db::suspect_outage();
                            }
                            crate::service::record_refusal(&mut conn, e)
                        })
                    })
                })
            });
            (result, Some(conn))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        if let Some(mut conn) = conn {
            use diesel::r2d2::R2D2Connection;
            // A broken connection goes back now (the pool drops it), with the request's turn; a
            // good one waits for the request's next run.
            if !conn.is_broken() {
                let _ = REQUEST_CONN.try_with(|c| {
                    let mut slot = c.borrow_mut();
                    if slot.is_none() {
                        *slot = Some(HeldConn { conn, turn });
                    }
                });
            }
        }
        result.map_err(AppError::from)
    }

    /// Waits, in order of arrival, until fewer requests than the pool has connections hold one;
    /// as long as a checkout would wait ([`crate::db::checkout_timeout`]), then 503.
    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let wait = crate::db::checkout_timeout(&self.pool);
        match tokio::time::timeout(wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(turn)) => Ok(turn),
            // Never closed; a timeout is the pool's "every connection is busy".
            _ => Err(AppError::from(ServiceError::Pool(
                crate::db::DbError::Busy(wait),
            ))),
        }
    }
}

/// A request's connection between its `run`s, with the turn it took to get it.
pub struct HeldConn {
    conn: PooledConn,
    turn: tokio::sync::OwnedSemaphorePermit,
}

tokio::task_local! {
    /// The database connection of the request being served (set up by the guard): one checkout
    /// per request, however many `run`s it makes; back to the pool when the request ends.
    pub static REQUEST_CONN: std::cell::RefCell<Option<HeldConn>>;
}

/// Gives the request's connection back to the pool before long work that needs none (password
/// hashing), so that waiting for a hash never holds a connection.
pub fn release_request_conn() {
    let _ = REQUEST_CONN.try_with(|c| c.borrow_mut().take());
}

impl AppState {
    /// Decides `access` for the request's principal; a refusal is logged and is an error page.
    pub async fn authorize(&self, ctx: &Ctx, access: Access) -> Result<Option<Role>, AppError> {
        match ctx.authorize(access) {
            Ok(role) => Ok(role),
            Err(e) => Err(self.refuse(e).await),
        }
    }

    /// A refusal decided outside a service call: written to the access log (through `run`, like
    /// every other refusal) and turned into the error page.
    pub async fn refuse(&self, denial: ServiceError) -> AppError {
        self.run(move |_| Err::<(), _>(denial))
            .await
            .err()
            .unwrap_or(AppError::Service(ServiceError::Forbidden))
    }
}

/// What the guard learned about the request.
#[derive(Debug, Clone)]
pub struct ReqInfo {
    pub client_addr: String,
    pub session: Option<Session>,
}

/// The visitor of any page: client address and session (if any).
pub struct Visitor(pub ReqInfo);

impl Visitor {
    pub fn ctx(&self, state: &AppState) -> Ctx {
        Ctx {
            now: state.clock.now(),
            client_addr: self.0.client_addr.clone(),
            principal: match &self.0.session {
                Some(s) => match (s.holder.staff(), s.stage) {
                    (Some(a), Stage::Full) => Principal::Staff(a.clone()),
                    (Some(a), _) => Principal::Enrolling(a.clone()),
                    (None, _) => Principal::Visitor,
                },
                None => Principal::Visitor,
            },
        }
    }
    pub fn session(&self) -> Option<&Session> {
        self.0.session.as_ref()
    }
}

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, AppError>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { principal::req_info(&req).await.map(Visitor) })
    }
}

/// A fully logged-in member of staff (password + TOTP). Anyone else is sent to log in or to
/// finish enrolment.
pub struct Staff {
    pub actor: Actor,
    pub session: Session,
    pub client_addr: String,
}

impl Staff {
    pub fn ctx(&self, state: &AppState) -> Ctx {
        self.ctx_at(state.clock.now())
    }
    /// The member of staff acting at `now`.
    pub fn ctx_at(&self, now: chrono::DateTime<chrono::Utc>) -> Ctx {
        Ctx {
            now,
            client_addr: self.client_addr.clone(),
            principal: Principal::Staff(self.actor.clone()),
        }
    }
    pub fn layout(&self, title: &str) -> pages::Layout {
        pages::Layout::staff(title, &self.actor, &self.session.csrf_token)
    }
    /// The frame of a page whose title is the catalog's `title_key`, in the user's language.
    pub fn page(&self, title_key: &str) -> pages::Layout {
        self.layout(&self.actor.lang.t(title_key))
    }
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, AppError>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let info = principal::req_info(&req).await?;
            principal::staff_of(info.session, info.client_addr)
        })
    }
}

/// Extracts `Staff` and decides `access` for them: a refusal is logged and is the error page.
fn authorized_staff(
    req: &HttpRequest,
    payload: &mut Payload,
    access: Access,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Staff, AppError>>>> {
    let staff = Staff::from_request(req, payload);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    Box::pin(async move {
        let staff = staff.await?;
        let state = state.ok_or_else(|| AppError::Internal("application state missing".into()))?;
        state.authorize(&staff.ctx(&state), access).await?;
        Ok(staff)
    })
}

/// Staff allowed a kind of page by the policy; anyone else gets the refusal page, logged.
macro_rules! authorized_extractor {
    ($(#[$doc:meta])* $name:ident, $access:expr) => {
        $(#[$doc])*
        pub struct $name(pub Staff);

        impl FromRequest for $name {
            type Error = AppError;
            type Future =
                std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, AppError>>>>;
            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let fut = authorized_staff(req, payload, $access);
                Box::pin(async move { fut.await.map($name) })
            }
        }

        impl std::ops::Deref for $name {
            type Target = Staff;
            fn deref(&self) -> &Staff {
                &self.0
            }
        }
    };
}

authorized_extractor!(
    /// A logged-in administrator.
    AdminStaff,
    Access::Administer
);
authorized_extractor!(
    /// A logged-in handler (Spärr- och loggservice).
    HandlerStaff,
    Access::HandleCases
);

authorized_extractor!(
    /// A logged-in auditor (logguppföljning): the access log's screens.
    AuditorStaff,
    Access::ReadAuditLog
);

/// A form body that may repeat keys (checkbox lists), parsed with `serde_html_form`.
pub struct HtmlForm<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for HtmlForm<T> {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, AppError>>>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let b = bytes.await.map_err(|_| AppError::TooLarge)?;
            serde_html_form::from_bytes::<T>(&b)
                .map(HtmlForm)
                .map_err(|e| AppError::BadRequest(e.to_string()))
        })
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(assets::healthz))
        .route("/static/{name}", web::get().to(assets::file));
    auth::routes(cfg);
    login::routes(cfg);
    oidc::routes(cfg);
    start::routes(cfg);
    api::routes(cfg);
    cases::routes(cfg);
    clientcert::routes(cfg);
    admin::routes(cfg);
    audit::routes(cfg);
    stats::routes(cfg);
}

/// No such page: "Sidan finns inte" in the logged-in user's language (their session is read for
/// it; an error reading it leaves the browser's).
async fn not_found(req: HttpRequest) -> actix_web::HttpResponse {
    let _ = principal::req_info(&req).await;
    pages::no_page()
}

/// The whole application, as `serve` and the tests run it.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(guard::BODY_LIMIT))
        .app_data(web::FormConfig::default().limit(guard::BODY_LIMIT))
        .wrap(actix_web::middleware::from_fn(guard::guard))
        .configure(routes)
        .default_service(web::to(not_found))
}
