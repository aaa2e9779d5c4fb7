//! Logging in with a client certificate (a SITHS card). The card was proven by the TLS layer —
//! ours (`crate::tls`: chain, dates, revocation) or a trusted proxy's — and its dates checked
//! again against the clock (`web::clientcert`); the login itself is `service::identified::login`
//! with `LoginMethod::ClientCert` (only an existing, active user gets in, with the same answer
//! as a failed password login otherwise, and every attempt is in the access log with its
//! method). Here: a card refused before anyone was named.

use super::{Ctx, ServiceError};
use crate::db::DbConnection;
use crate::domain::login::LoginMethod;
use crate::i18n::Msg;

/// A card login refused before anyone was named — no certificate, one from an address that is
/// not a trusted proxy, one out of date: `identified::refused` with `LoginMethod::ClientCert`
/// (`login_failed` with the reason, in a transaction of its own; `hsa_id` is written only when
/// it is an HSA-ID).
pub fn refused(
    conn: &mut DbConnection,
    ctx: &Ctx,
    hsa_id: Option<&str>,
    reason: Msg,
) -> Result<(), ServiceError> {
    super::identified::refused(conn, ctx, &LoginMethod::ClientCert, hsa_id, reason)
}
