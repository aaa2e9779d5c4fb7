//! Login, logout and enrolment (password and TOTP).

use super::session::{self, Stage};
use super::{Ctx, FieldErrors, ServiceError};
use crate::auth::secrets::{self, SecretBox, SecretError};
use crate::auth::{password, tokens, totp};
use crate::db::{self, DbConnection, login_throttle, sessions, users};
use crate::domain::HsaId;
use crate::domain::login::LoginMethod;
use crate::domain::validate;
use crate::i18n::{Lang, Msg};
use crate::messages;
use chrono::Duration;

/// The login throttle: `failures` wrong attempts for one account from one client address block
/// that account from that address for `duration` (ASVS V2.2.1). Other addresses still log in, so
/// nobody can lock a chosen colleague out by typing wrong passwords in their name.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub failures: i32,
    pub duration: Duration,
}

/// Where a successful login leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// The new session cookie value.
    pub token: String,
    pub stage: Stage,
}

enum Attempt {
    Ok(LoggedIn),
    Failed,
}

/// Checks HSA-ID, password and one-time code (or a recovery code). Every failure, whatever its
/// cause (unknown user, wrong password, wrong or replayed code, locked or disabled account), gives
/// the same `LoginFailed`. The password check (argon2, slow) runs before the write transaction.
#[allow(clippy::too_many_arguments)]
pub fn login(
    conn: &mut DbConnection,
    ctx: &Ctx,
    keys: &SecretBox,
    policy: LockoutPolicy,
    hsa_input: &str,
    password_input: &str,
    code_input: &str,
    old_session_hash: Option<&str>,
) -> Result<LoggedIn, ServiceError> {
    let candidate = login_lookup(conn, hsa_input)?;
    let password_ok = candidate.check_password(password_input);
    login_finish(
        conn,
        ctx,
        keys,
        policy,
        candidate,
        password_ok,
        code_input,
        old_session_hash,
        false,
    )
}

/// Who a login names, read before the password check. [`login`] in three steps, so that the web
/// handler can run the slow password check without holding a database connection: a login storm
/// then queues on the hash permits (as many as cores), not on the pool every page needs.
pub struct LoginCandidate {
    hsa: Option<HsaId>,
    user: Option<db::models::User>,
}

/// Step one of [`login`]: look the account up (one read).
pub fn login_lookup(
    conn: &mut DbConnection,
    hsa_input: &str,
) -> Result<LoginCandidate, ServiceError> {
    let hsa = HsaId::parse(hsa_input).ok();
    let user = match &hsa {
        Some(h) => users::by_hsa_id(conn, h.as_str())?,
        None => None,
    };
    Ok(LoginCandidate { hsa, user })
}

impl LoginCandidate {
    /// Step two of [`login`]: the password check (argon2; no database). An unknown user costs
    /// the same time as a known one.
    pub fn check_password(&self, password_input: &str) -> bool {
        match self.user.as_ref().and_then(|u| u.password_hash.as_deref()) {
            Some(stored) => password::verify(password_input, stored),
            None => {
                password::verify_dummy(password_input);
                false
            }
        }
    }
}

/// Step three of [`login`]: the write transaction — throttle, second factor, session, log.
/// `admins_only` (`password_login_admins_only`): a right password and code of anyone but an
/// administrator is refused too, with the same answer (logged with the reason).
#[allow(clippy::too_many_arguments)]
pub fn login_finish(
    conn: &mut DbConnection,
    ctx: &Ctx,
    keys: &SecretBox,
    policy: LockoutPolicy,
    candidate: LoginCandidate,
    password_ok: bool,
    code_input: &str,
    old_session_hash: Option<&str>,
    admins_only: bool,
) -> Result<LoggedIn, ServiceError> {
    let LoginCandidate { hsa, user } = candidate;
    let now = db::ts(ctx.now);
    let attempt = db::write_tx(conn, |conn| -> Result<Attempt, ServiceError> {
        let mut entry = ctx.entry(None, "login_failed", None);
        entry.user_hsa_id = hsa.as_ref().map(|h| h.to_string());
        let fresh = match &user {
            Some(u) => users::by_id(conn, u.id)?,
            None => None,
        };
        let Some(u) = fresh else {
            entry.detail = Some(Msg::key("log-login-unknown-user"));
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        };
        if !u.active {
            entry.detail = Some(Msg::key("log-login-inactive"));
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        }
        let addr = ctx.client_addr.as_str();
        if login_throttle::locked_until(conn, u.id, addr)?.is_some_and(|t| t > now) {
            entry.action = "login_refused_locked".into();
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        }
        let mut used_recovery = false;
        let second_ok = match (&u.totp_secret, password_ok) {
            (_, false) => false,
            (None, true) => true, // no TOTP yet: the session may only enrol one
            (Some(stored), true) => {
                let secret = match keys.open(stored, &secrets::user_place(u.id)) {
                    Ok(opened) => {
                        if opened.was_clear {
                            // From before encryption: encrypted now, at its first use.
                            let sealed = keys
                                .seal(&opened.secret, &secrets::user_place(u.id))
                                .map_err(|e| ServiceError::Technical(e.to_string()))?;
                            users::replace_totp_secret(conn, u.id, &sealed)?;
                        }
                        opened.secret
                    }
                    Err(e) => {
                        // Wrong key or a damaged value: the user cannot log in; say why in the
                        // log (never the value).
                        tracing::error!(user = u.id, error = %e, "TOTP secret unreadable");
                        String::new()
                    }
                };
                match totp::matching_step(&secret, code_input, ctx.now.timestamp()) {
                    Some(step) => users::claim_totp_step(conn, u.id, step)?,
                    None if code_input.trim().len() > 6 => {
                        used_recovery = users::use_recovery_code(
                            conn,
                            u.id,
                            &tokens::recovery_digest(code_input),
                            now,
                        )?;
                        used_recovery
                    }
                    None => false,
                }
            }
        };
        if !(password_ok && second_ok) {
            let failures = login_throttle::add_failure(conn, u.id, addr, now)?;
            entry.detail = Some(Msg::key(if password_ok {
                "log-login-wrong-code"
            } else {
                "log-login-wrong-password"
            }));
            ctx.log(conn, &entry)?;
            if failures >= policy.failures {
                login_throttle::lock(conn, u.id, addr, now + policy.duration, now)?;
                let mut locked = entry.clone();
                locked.action = "account_locked".into();
                locked.detail = Some(
                    Msg::key("log-account-locked")
                        .arg("failures", i64::from(failures))
                        .arg("addr", addr)
                        .arg("minutes", policy.duration.num_minutes()),
                );
                ctx.log(conn, &locked)?;
            }
            return Ok(Attempt::Failed);
        }
        let roles = users::roles(conn, u.id)?;
        if admins_only && !roles.contains(&crate::domain::Role::Admin) {
            login_throttle::clear(conn, u.id, addr)?;
            entry.detail = Some(Msg::key("log-login-password-off"));
            ctx.log(conn, &entry)?;
            return Ok(Attempt::Failed);
        }
        users::record_login(conn, u.id, now)?;
        login_throttle::clear(conn, u.id, addr)?;
        if let Some(old) = old_session_hash {
            sessions::delete(conn, old)?;
        }
        let stage = if u.must_change_password || u.password_hash.is_none() {
            Stage::ChangePassword
        } else if u.totp_secret.is_none() {
            Stage::EnrolTotp
        } else {
            Stage::Full
        };
        let token = session::create(conn, Some(u.id), stage, ctx.now, &ctx.client_addr)?;
        entry.action = "login".into();
        entry.role = Some(roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(","));
        // The method, as for every login (`messages::log::login_method`).
        entry.detail = Some(match (stage, used_recovery) {
            (Stage::Full, true) => Msg::key("log-login-recovery"),
            (Stage::Full, false) => messages::log::login_method(&LoginMethod::Password),
            _ => Msg::key("log-login-must-enrol"),
        });
        ctx.log(conn, &entry)?;
        Ok(Attempt::Ok(LoggedIn { token, stage }))
    })?;
    match attempt {
        Attempt::Ok(l) => Ok(l),
        Attempt::Failed => Err(ServiceError::LoginFailed),
    }
}

pub fn logout(conn: &mut DbConnection, ctx: &Ctx, session_hash: &str) -> Result<(), ServiceError> {
    db::write_tx(conn, |conn| {
        sessions::delete(conn, session_hash)?;
        if ctx.principal.person().is_some() {
            ctx.log(conn, &ctx.entry(None, "logout", None))?;
        }
        Ok(())
    })
}

fn check_new_password(errors: &mut FieldErrors, hsa_id: &str, new: &str, confirm: &str) {
    if let Err(p) = validate::password(new, hsa_id) {
        errors.add("password", messages::password(p));
    } else if new != confirm {
        errors.add("confirm", messages::PASSWORD_MISMATCH);
    }
}

/// Who an enrolment link belongs to (for showing the form), or `LinkInvalid`.
pub fn enrolment_link_user(
    conn: &mut DbConnection,
    ctx: &Ctx,
    token: &str,
) -> Result<String, ServiceError> {
    let uid = users::enrolment_token_user(conn, &tokens::digest(token), db::ts(ctx.now))?
        .ok_or(ServiceError::LinkInvalid)?;
    let u = users::by_id(conn, uid)?
        .filter(|u| u.active)
        .ok_or(ServiceError::LinkInvalid)?;
    Ok(u.hsa_id)
}

/// Sets the password through a one-time enrolment link; the new session must then enrol TOTP.
pub fn enrol_with_link(
    conn: &mut DbConnection,
    ctx: &Ctx,
    token: &str,
    new: &str,
    confirm: &str,
    old_session_hash: Option<&str>,
) -> Result<LoggedIn, ServiceError> {
    let hsa_id = enrolment_link_user(conn, ctx, token)?;
    let mut errors = FieldErrors::default();
    check_new_password(&mut errors, &hsa_id, new, confirm);
    errors.into_result()?;
    let hash = password::hash(new)?;
    let digest = tokens::digest(token);
    let now = db::ts(ctx.now);
    db::write_tx(conn, |conn| {
        let uid =
            users::enrolment_token_user(conn, &digest, now)?.ok_or(ServiceError::LinkInvalid)?;
        if !users::use_enrolment_token(conn, &digest, now)? {
            return Err(ServiceError::LinkInvalid);
        }
        users::set_password(conn, uid, Some(&hash), false, now)?;
        users::set_totp(conn, uid, None, None)?;
        users::replace_recovery_codes(conn, uid, &[])?;
        login_throttle::clear_user(conn, uid)?;
        sessions::delete_for_user(conn, uid)?;
        if let Some(old) = old_session_hash {
            sessions::delete(conn, old)?;
        }
        let token = session::create(conn, Some(uid), Stage::EnrolTotp, ctx.now, &ctx.client_addr)?;
        let mut e = ctx.entry(None, "password_set_by_link", None);
        e.user_hsa_id = Some(hsa_id.clone());
        ctx.log(conn, &e)?;
        Ok(LoggedIn {
            token,
            stage: Stage::EnrolTotp,
        })
    })
}

/// The forced password change at first login (after a temporary password).
pub fn change_password(
    conn: &mut DbConnection,
    ctx: &Ctx,
    session: &session::Session,
    new: &str,
    confirm: &str,
) -> Result<Stage, ServiceError> {
    let actor = ctx.person()?;
    let mut errors = FieldErrors::default();
    check_new_password(&mut errors, &actor.hsa_id, new, confirm);
    errors.into_result()?;
    let u = users::by_id(conn, actor.user_id)?.ok_or(ServiceError::NotFound)?;
    if u.password_hash
        .as_deref()
        .is_some_and(|h| password::verify(new, h))
    {
        let mut errors = FieldErrors::default();
        errors.add("password", messages::PASSWORD_SAME_AS_TEMPORARY);
        return Err(ServiceError::Invalid(errors));
    }
    let hash = password::hash(new)?;
    db::write_tx(conn, |conn| {
        users::set_password(conn, actor.user_id, Some(&hash), false, db::ts(ctx.now))?;
        let next = if u.totp_secret.is_some() {
            Stage::Full
        } else {
            Stage::EnrolTotp
        };
        sessions::set_stage(conn, &session.id_hash, next.code())?;
        ctx.log(conn, &ctx.entry(None, "password_changed", None))?;
        Ok(next)
    })
}

/// The secret being enrolled in this session (made on first call, kept until confirmed).
pub fn pending_totp_secret(
    conn: &mut DbConnection,
    keys: &SecretBox,
    session: &session::Session,
) -> Result<String, ServiceError> {
    let place = secrets::pending_place(&session.id_hash);
    if let Some(s) = &session.pending_totp_secret {
        return Ok(keys.open(s, &place).map_err(unreadable)?.secret);
    }
    let secret = totp::new_secret();
    let sealed = keys.seal(&secret, &place).map_err(unreadable)?;
    db::write_tx(conn, |conn| {
        sessions::set_pending_totp(conn, &session.id_hash, Some(&sealed))?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(secret)
}

pub struct Enrolled {
    /// The new session cookie value (a fresh id now that the login is complete).
    pub token: String,
    pub recovery_codes: Vec<String>,
}

/// Confirms TOTP enrolment with a current code; completes the login with a new session id and
/// hands out ten recovery codes (shown once; only digests are stored).
pub fn confirm_totp(
    conn: &mut DbConnection,
    ctx: &Ctx,
    keys: &SecretBox,
    session: &session::Session,
    code: &str,
) -> Result<Enrolled, ServiceError> {
    let actor = ctx.person()?;
    let pending = session
        .pending_totp_secret
        .clone()
        .ok_or(ServiceError::NotFound)?;
    let secret = keys
        .open(&pending, &secrets::pending_place(&session.id_hash))
        .map_err(unreadable)?
        .secret;
    let sealed = keys
        .seal(&secret, &secrets::user_place(actor.user_id))
        .map_err(unreadable)?;
    let Some(step) = totp::matching_step(&secret, code, ctx.now.timestamp()) else {
        let mut errors = FieldErrors::default();
        errors.add("code", messages::TOTP_WRONG);
        return Err(ServiceError::Invalid(errors));
    };
    let codes = tokens::recovery_codes();
    let digests: Vec<String> = codes.iter().map(|c| tokens::recovery_digest(c)).collect();
    db::write_tx(conn, |conn| {
        users::set_totp(conn, actor.user_id, Some(&sealed), Some(step))?;
        users::replace_recovery_codes(conn, actor.user_id, &digests)?;
        sessions::delete(conn, &session.id_hash)?;
        let token = session::create(
            conn,
            Some(actor.user_id),
            Stage::Full,
            ctx.now,
            &ctx.client_addr,
        )?;
        ctx.log(conn, &ctx.entry(None, "totp_enrolled", None))?;
        Ok(Enrolled {
            token,
            recovery_codes: codes,
        })
    })
}

/// A secret that cannot be read or sealed: a technical error (the key is wrong or the value
/// damaged), never its content.
fn unreadable(e: SecretError) -> ServiceError {
    tracing::error!(error = %e, "TOTP secret");
    ServiceError::Declined(super::Reason::SecretUnreadable)
}

/// Checks at start that `keys` opens the TOTP secrets in the database (one is tried): a wrong
/// `secret_key_file` is refused at once rather than locking every user out.
pub fn check_secret_key(conn: &mut DbConnection, keys: &SecretBox) -> Result<(), SecretError> {
    match users::sealed_totp_sample(conn) {
        Ok(Some((id, stored))) => keys.open(&stored, &secrets::user_place(id)).map(|_| ()),
        Ok(None) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "the secret key could not be checked");
            Ok(())
        }
    }
}

/// What `secrets rotate` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// TOTP secrets now under the new key.
    pub users: usize,
    /// Of them, secrets that were stored in clear before.
    pub were_clear: usize,
    /// Secrets being enrolled (in sessions), now under the new key.
    pub pending: usize,
}

/// Re-encrypts every stored TOTP secret (and every one being enrolled) from `old` to `new`, in
/// one transaction: all or none. Clear secrets from before encryption are encrypted too.
pub fn rotate_secrets(
    conn: &mut DbConnection,
    ctx: &Ctx,
    old: &SecretBox,
    new: &SecretBox,
) -> Result<Rotated, ServiceError> {
    let refused = |e: SecretError| ServiceError::Technical(e.to_string());
    db::write_tx(conn, |c| {
        let mut done = Rotated::default();
        for (id, stored) in users::totp_secrets(c)? {
            let place = secrets::user_place(id);
            let opened = old.open(&stored, &place).map_err(refused)?;
            users::replace_totp_secret(c, id, &new.seal(&opened.secret, &place).map_err(refused)?)?;
            done.users += 1;
            done.were_clear += usize::from(opened.was_clear);
        }
        for (session, stored) in sessions::pending_totp_secrets(c)? {
            let place = secrets::pending_place(&session);
            let opened = old.open(&stored, &place).map_err(refused)?;
            let sealed = new.seal(&opened.secret, &place).map_err(refused)?;
            sessions::set_pending_totp(c, &session, Some(&sealed))?;
            done.pending += 1;
        }
        let mut e = ctx.entry(None, "secrets_rotated", None);
        e.detail = Some(
            Msg::key("log-secrets-rotated")
                .arg("users", done.users)
                .arg("clear", done.were_clear),
        );
        ctx.log(c, &e)?;
        Ok(done)
    })
}

/// The logged-in user chooses the language of their pages and mail (`sv`, `en`): stored on the
/// user, read with the session from the next request on.
pub fn set_language(conn: &mut DbConnection, ctx: &Ctx, code: &str) -> Result<Lang, ServiceError> {
    let user_id = ctx.actor()?.user_id;
    let Some(lang) = Lang::parse(code) else {
        let mut e = FieldErrors::default();
        e.add("lang", messages::LANG_INVALID);
        return Err(ServiceError::Invalid(e));
    };
    db::write_tx(conn, |c| {
        if !users::set_lang(c, user_id, lang.code(), db::ts(ctx.now))? {
            return Err(ServiceError::NotFound);
        }
        let mut e = ctx.entry(None, "language_set", None);
        // The code itself (`sv`, `en`): the same in every language.
        e.detail = Some(Msg::from(lang.code()));
        ctx.log(c, &e)?;
        Ok(lang)
    })
}
