//! Logging in with a client certificate (a SITHS card). The card was proven by the TLS layer —
//! ours (`crate::tls`: chain, dates, revocation) or a trusted proxy's — and its dates checked
//! again against the clock (`web::clientcert`); here the HSA-ID in its subject decides: only an
//! existing, active user gets in, with the same answer as a failed password login otherwise, and
//! every attempt is in the access log with its method.

use super::auth::LoggedIn;
use super::session::{self, Stage};
use super::{Ctx, ServiceError};
use crate::db::{self, DbConnection, sessions, users};
use crate::domain::HsaId;
use crate::domain::login::LoginMethod;

/// A card presented for a login.
pub struct Card<'a> {
    /// The subject's serialNumber as the certificate holds it (an HSA-ID, or not).
    pub hsa_id: Option<&'a str>,
    /// Words for the access log after the method's: how the card came (our TLS or the proxy),
    /// its serial and issuer.
    pub detail: String,
}

enum Attempt {
    Ok(LoggedIn),
    Failed,
}

/// Logs the card's holder in: a new session, fully logged in (the card and its PIN are the two
/// factors; no password or one-time code is asked), and the visitor's anonymous session
/// (`old_session_hash`) ended, so the session id changes. A certificate without an HSA-ID, an
/// unknown HSA-ID and a deactivated account give `LoginFailed`, logged as `login_failed` with
/// the reason.
pub fn login(
    conn: &mut DbConnection,
    ctx: &Ctx,
    card: &Card,
    old_session_hash: Option<&str>,
) -> Result<LoggedIn, ServiceError> {
    let hsa = card.hsa_id.and_then(|h| HsaId::parse(h).ok());
    let words = words(&card.detail);
    let attempt = db::write_tx(conn, |conn| -> Result<Attempt, ServiceError> {
        let mut entry = ctx.entry(None, "login_failed", None);
        // Only an HSA-ID is written: a serialNumber of another kind could be a personnummer.
        entry.user_hsa_id = hsa.as_ref().map(|h| h.to_string());
        let user = match &hsa {
            Some(h) => users::by_hsa_id(conn, h.as_str())?,
            None => None,
        };
        let Some(u) = user else {
            entry.detail = Some(if hsa.is_some() {
                format!("okänd användare; {words}")
            } else {
                format!("inget HSA-id i certifikatets serialNumber; {words}")
            });
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        };
        if !u.active {
            entry.detail = Some(format!("kontot är inaktiverat; {words}"));
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        }
        users::record_login(conn, u.id, db::ts(ctx.now))?;
        if let Some(old) = old_session_hash {
            sessions::delete(conn, old)?;
        }
        let token = session::create(conn, Some(u.id), Stage::Full, ctx.now, &ctx.client_addr)?;
        let roles = users::roles(conn, u.id)?;
        entry.action = "login".into();
        entry.user_hsa_id = Some(u.hsa_id.clone());
        entry.role = Some(roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(","));
        entry.detail = Some(words.clone());
        ctx.log(conn, &entry)?;
        Ok(Attempt::Ok(LoggedIn {
            token,
            stage: Stage::Full,
        }))
    })?;
    match attempt {
        Attempt::Ok(l) => Ok(l),
        Attempt::Failed => Err(ServiceError::LoginFailed),
    }
}

/// A card login refused before anyone was named — no certificate, one from an address that is
/// not a trusted proxy, one out of date: `login_failed` with the reason, in a transaction of its
/// own. `hsa_id` is written only when it is an HSA-ID.
pub fn refused(
    conn: &mut DbConnection,
    ctx: &Ctx,
    hsa_id: Option<&str>,
    reason: &str,
) -> Result<(), ServiceError> {
    db::write_tx(conn, |conn| {
        let mut entry = ctx.entry(None, "login_failed", None);
        entry.user_hsa_id = hsa_id
            .and_then(|h| HsaId::parse(h).ok())
            .map(|h| h.to_string());
        entry.detail = Some(format!("{reason}; {}", words("")));
        ctx.log(conn, &entry)
    })
}

fn words(detail: &str) -> String {
    let method = LoginMethod::ClientCert.log_words();
    if detail.is_empty() {
        method
    } else {
        format!("{method}; {detail}")
    }
}
