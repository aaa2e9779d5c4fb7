//! Who the request is from, read once per request, and on the page's own trip to the database
//! where it can be.
//!
//! A POST's session is read by the guard, which needs it for the CSRF check. A GET's is read when
//! first needed: by an extractor ([`super::Visitor`], [`super::Staff`], the authorized ones), in
//! its own [`AppState::run`], or, for a page that takes [`PageStaff`], inside the page's own run
//! ([`AppState::run_as`]). The blocking pool is then visited once for the whole page (the session,
//! the access decision, the work and its log entry) rather than twice: each visit costs two
//! thread hand-overs (bench/http, `perf`: about a quarter of the server's CPU on the case page
//! went to the scheduler and futex wake-ups).
//!
//! Every read of the session goes through one [`tokio::sync::OnceCell`] per request, so however
//! many extractors a handler has, the session is read once, on the request's one connection.

use super::request::REQUEST_LANG;
use super::{AppState, ReqInfo, Staff};
use crate::db::DbConnection;
use crate::i18n::Lang;
use crate::service::session::{self, Session, Stage};
use crate::service::{Ctx, ServiceError};
use crate::web::error::AppError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

/// A GET's session cookie, not yet looked up (set by the guard in the request's extensions).
#[derive(Clone)]
pub(super) struct PendingSession {
    cookie: String,
    read: Rc<tokio::sync::OnceCell<Option<Session>>>,
}

impl PendingSession {
    pub(super) fn new(cookie: String) -> Self {
        PendingSession {
            cookie,
            read: Rc::new(tokio::sync::OnceCell::new()),
        }
    }
}

/// The logged-in user's language for the rest of the request (error pages included).
fn use_lang(session: Option<&Session>) {
    if let Some(a) = session.and_then(|s| s.holder.staff()) {
        let _ = REQUEST_LANG.try_with(|l| l.set(a.lang));
    }
}

/// The guard's `ReqInfo` with its session: read now (in its own run) if the guard left it for
/// later, or as read before in this request.
pub(super) async fn req_info(req: &HttpRequest) -> Result<ReqInfo, AppError> {
    let info = req
        .extensions()
        .get::<ReqInfo>()
        .cloned()
        .ok_or_else(|| AppError::Internal("request guard missing".into()))?;
    let pending = req.extensions().get::<PendingSession>().cloned();
    let Some(p) = pending else {
        return Ok(info);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?;
    let session = p
        .read
        .get_or_try_init(|| async {
            let (now, t, cookie) = (state.clock.now(), state.timeouts(), p.cookie.clone());
            let s = state
                .run(move |conn| session::load(conn, &cookie, now, t))
                .await?;
            use_lang(s.as_ref());
            Ok::<_, AppError>(s)
        })
        .await?
        .clone();
    Ok(ReqInfo { session, ..info })
}

/// The member of staff a session is, or where its holder must go instead.
pub(super) fn staff_of(session: Option<Session>, client_addr: String) -> Result<Staff, AppError> {
    match session {
        Some(s) => match (s.stage, s.holder.staff().cloned()) {
            (Stage::Full, Some(actor)) => Ok(Staff {
                actor,
                session: s,
                client_addr,
            }),
            (Stage::ChangePassword, Some(_)) => {
                Err(AppError::Redirect("/konto/nytt-losenord".into()))
            }
            (Stage::EnrolTotp, Some(_)) => Err(AppError::Redirect("/konto/tvafaktor".into())),
            _ => Err(AppError::LoginRequired),
        },
        None => Err(AppError::LoginRequired),
    }
}

/// A page for staff whose session is read inside the page's own run ([`AppState::run_as`]),
/// together with the access decision and the page's work: one trip to the blocking pool.
pub struct PageStaff {
    client_addr: String,
    /// Read already (a POST's, by the guard), or to be read by the page's run.
    session: Result<Option<Session>, PendingSession>,
}

impl FromRequest for PageStaff {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ext = req.extensions();
        let out = match (ext.get::<ReqInfo>(), ext.get::<PendingSession>()) {
            (None, _) => Err(AppError::Internal("request guard missing".into())),
            (Some(info), pending) => Ok(PageStaff {
                client_addr: info.client_addr.clone(),
                session: match pending {
                    // Read by an earlier extractor of this request.
                    Some(p) if p.read.get().is_some() => Ok(p.read.get().cloned().flatten()),
                    Some(p) => Err(p.clone()),
                    None => Ok(info.session.clone()),
                },
            }),
        };
        std::future::ready(out)
    }
}

/// The member of staff a page is for, with the time their request is served at.
pub struct AsStaff<T> {
    pub staff: Staff,
    /// The `now` of the work's `Ctx` (a case page's time of view, for its print marks).
    pub ctx: Ctx,
    pub value: T,
}

impl AppState {
    /// Reads `who`'s session (unless it has been read), checks they are fully logged-in staff,
    /// then runs `f` as them (whose access decisions, and their refusals' log entries, are the
    /// service's as on every path): all in one run on the request's connection.
    pub async fn run_as<T, F>(&self, who: &PageStaff, f: F) -> Result<AsStaff<T>, AppError>
    where
        F: FnOnce(&mut DbConnection, &Ctx) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        if matches!(who.session, Ok(None)) {
            // No session cookie: nothing to read.
            return Err(AppError::LoginRequired);
        }
        let now = self.clock.now();
        let t = self.timeouts();
        let client_addr = who.client_addr.clone();
        let (known, cookie) = match &who.session {
            Ok(s) => (Some(s.clone()), None),
            Err(p) => (None, Some(p.cookie.clone())),
        };
        // The language is learnt on the blocking thread; the error page is made here.
        let lang: Arc<OnceLock<Lang>> = Arc::new(OnceLock::new());
        let learnt = lang.clone();
        let out = self
            .run(move |conn| {
                let session = match (known, cookie) {
                    (Some(s), _) => s,
                    (None, Some(c)) => session::load(conn, &c, now, t)?,
                    (None, None) => None,
                };
                if let Some(a) = session.as_ref().and_then(|s| s.holder.staff()) {
                    let _ = learnt.set(a.lang);
                }
                let staff = match staff_of(session, client_addr) {
                    Ok(s) => s,
                    Err(e) => return Ok(Err(e)),
                };
                let ctx = staff.ctx_at(now);
                let value = f(conn, &ctx)?;
                Ok(Ok(AsStaff { staff, ctx, value }))
            })
            .await;
        if let Some(l) = lang.get() {
            let _ = REQUEST_LANG.try_with(|c| c.set(*l));
        }
        out?
    }
}
