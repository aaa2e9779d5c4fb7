//! Logging in with an identity proven elsewhere: an OpenID Connect provider (SITHS eID, Freja
//! eID) or a client certificate (a SITHS card). The proof is the caller's (`auth::oidc` checks
//! the ID token, the TLS layer or a trusted proxy the card); here the HSA-ID it names decides: only an existing, active user gets in, with the
//! same answer as a failed password login otherwise, and every attempt is in the access log with
//! its method.

use super::auth::LoggedIn;
use super::session::{self, Stage};
use super::{Ctx, ServiceError};
use crate::auth::secrets::{self, SecretBox};
use crate::db::{self, DbConnection, sessions, users};
use crate::domain::HsaId;
use crate::domain::login::LoginMethod;
use crate::i18n::Msg;
use crate::messages::log;

/// A login proven by `method` for the HSA-ID `hsa_id` (as the proof carried it).
pub struct Proven<'a> {
    pub method: LoginMethod,
    pub hsa_id: &'a str,
    /// What the access log says after the method (provider name, assurance level; the card).
    pub detail: Option<Msg>,
    /// The provider's ID token, kept sealed on the session for logging out there.
    pub id_token: Option<&'a str>,
}

enum Attempt {
    Ok(LoggedIn),
    Failed,
}

/// Logs the user named by `proven` in: a new session (the visitor's anonymous one,
/// `old_session_hash`, is ended), fully logged in — the provider did the strong
/// authentication, so no password or one-time code is asked for here. Unknown, malformed and
/// deactivated HSA-IDs give `LoginFailed`, logged as `login_failed` with the reason.
pub fn login(
    conn: &mut DbConnection,
    ctx: &Ctx,
    keys: &SecretBox,
    proven: &Proven,
    old_session_hash: Option<&str>,
) -> Result<LoggedIn, ServiceError> {
    let hsa = HsaId::parse(proven.hsa_id).ok();
    let words = match &proven.detail {
        None => log::login_method(&proven.method),
        Some(d) => log::both(log::login_method(&proven.method), d.clone()),
    };
    let attempt = db::write_tx(conn, |conn| -> Result<Attempt, ServiceError> {
        let mut entry = ctx.entry(None, "login_failed", None);
        // Not an HSA-ID (a misconfigured claim could hold anything, even a personnummer): not
        // written anywhere.
        entry.user_hsa_id = hsa.as_ref().map(|h| h.to_string());
        let user = match &hsa {
            Some(h) => users::by_hsa_id(conn, h.as_str())?,
            None => None,
        };
        let Some(u) = user else {
            let why = if hsa.is_some() {
                "log-login-unknown-user"
            } else {
                "log-login-no-hsa-id"
            };
            entry.detail = Some(log::both(Msg::key(why), words.clone()));
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        };
        if !u.active {
            entry.detail = Some(log::both(Msg::key("log-login-inactive"), words.clone()));
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        }
        let now = db::ts(ctx.now);
        users::record_login(conn, u.id, now)?;
        if let Some(old) = old_session_hash {
            sessions::delete(conn, old)?;
        }
        let sealed = match proven.id_token {
            Some(t) => Some(
                keys.seal(t, &secrets::id_token_place(u.id))
                    .map_err(|e| ServiceError::Technical(e.to_string()))?,
            ),
            None => None,
        };
        let token = session::create_for(
            conn,
            Some(u.id),
            Stage::Full,
            ctx.now,
            &ctx.client_addr,
            Some(&proven.method),
            sealed.as_deref(),
        )?;
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

/// A login by `method` refused before anyone was named (the provider's answer failed a check),
/// or for a reason of the proof itself (a too-low assurance level): written to the access log
/// as `login_failed` with the reason, in a transaction of its own.
pub fn refused(
    conn: &mut DbConnection,
    ctx: &Ctx,
    method: &LoginMethod,
    hsa_id: Option<&str>,
    reason: Msg,
) -> Result<(), ServiceError> {
    db::write_tx(conn, |conn| {
        let mut entry = ctx.entry(None, "login_failed", None);
        entry.user_hsa_id = hsa_id
            .and_then(|h| HsaId::parse(h).ok())
            .map(|h| h.to_string());
        entry.detail = Some(log::both(reason.clone(), log::login_method(method)));
        ctx.log(conn, &entry)
    })
}
