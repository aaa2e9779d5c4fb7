//! A login under way at an OpenID Connect provider, kept server-side on the visitor's anonymous
//! session (sealed with the secret key): begun when they choose the provider, taken — once —
//! when the provider sends them back.

use super::session::{self, Session, Stage, Timeouts};
use super::{Ctx, ServiceError};
use crate::auth::oidc::{OidcError, PENDING_MAX_SECONDS, Pending};
use crate::auth::secrets::{self, SecretBox};
use crate::auth::tokens;
use crate::db::{self, DbConnection, sessions};

/// Keeps `pending` on the anonymous session `session_hash` (replacing a login begun before).
pub fn begin(
    conn: &mut DbConnection,
    keys: &SecretBox,
    session_hash: &str,
    pending: &Pending,
) -> Result<(), ServiceError> {
    let json =
        serde_json::to_string(pending).map_err(|e| ServiceError::Technical(e.to_string()))?;
    let sealed = keys
        .seal(&json, &secrets::oidc_pending_place(session_hash))
        .map_err(|e| ServiceError::Technical(e.to_string()))?;
    db::write_tx(conn, |conn| {
        if sessions::set_oidc_pending(conn, session_hash, Some(&sealed))? == 1 {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    })
}

/// What the provider's answer comes back to.
pub struct Taken {
    /// The anonymous session (alive); its CSRF token serves the login page shown on a refusal.
    pub session: Session,
    /// The login under way; `UnknownState` when there is none (never begun, or taken
    /// before), `TooOld` when it began too long ago.
    pub pending: Result<Pending, OidcError>,
}

/// The anonymous session behind `cookie_value` and the login under way on it, taken: cleared in
/// the same transaction, so a replayed answer finds nothing. None when the session is unknown,
/// expired or not anonymous.
pub fn take(
    conn: &mut DbConnection,
    ctx: &Ctx,
    keys: &SecretBox,
    cookie_value: &str,
    t: Timeouts,
) -> Result<Option<Taken>, ServiceError> {
    let Some(s) = session::load(conn, cookie_value, ctx.now, t)? else {
        return Ok(None);
    };
    if s.stage != Stage::Anonymous || s.holder.staff().is_some() {
        return Ok(None);
    }
    let hash = tokens::digest(cookie_value);
    let sealed = db::write_tx(conn, |conn| {
        Ok::<_, ServiceError>(sessions::take_oidc_pending(conn, &hash)?)
    })?;
    let pending = sealed.and_then(|sealed| {
        let opened = keys
            .open(&sealed, &secrets::oidc_pending_place(&hash))
            .map_err(|e| tracing::warn!(error = %e, "a login under way could not be opened"))
            .ok()?;
        serde_json::from_str::<Pending>(&opened.secret).ok()
    });
    let pending = match pending {
        None => Err(OidcError::UnknownState),
        Some(p) if !(0..=PENDING_MAX_SECONDS).contains(&(ctx.now.timestamp() - p.started)) => {
            Err(OidcError::TooOld)
        }
        Some(p) => Ok(p),
    };
    Ok(Some(Taken {
        session: s,
        pending,
    }))
}

/// The provider's ID token of a session (`Session::id_token`), opened; None when there is none
/// or it cannot be opened (the key was rotated): the provider's logout then goes without a hint.
pub fn id_token(keys: &SecretBox, s: &Session) -> Option<String> {
    let user_id = s.holder.staff()?.user_id;
    let sealed = s.id_token.as_deref()?;
    keys.open(sealed, &secrets::id_token_place(user_id))
        .map(|o| o.secret)
        .map_err(|e| tracing::warn!(error = %e, "the ID token of a session could not be opened"))
        .ok()
}
