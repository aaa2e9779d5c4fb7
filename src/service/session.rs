//! Loading the session behind a cookie, with the idle and absolute timeouts.

use super::{Actor, ServiceError, UnitRef};
use crate::auth::tokens;
use crate::db::models::SessionRow;
use crate::db::{self, DbConnection, sessions, users};
use crate::domain::Role;
use crate::domain::login::LoginMethod;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Anonymous,
    ChangePassword,
    EnrolTotp,
    Full,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Anonymous => "anonymous",
            Stage::ChangePassword => "change_password",
            Stage::EnrolTotp => "enrol_totp",
            Stage::Full => "full",
        }
    }
    fn parse(s: &str) -> Stage {
        match s {
            "change_password" => Stage::ChangePassword,
            "enrol_totp" => Stage::EnrolTotp,
            "full" => Stage::Full,
            _ => Stage::Anonymous,
        }
    }
}

/// What a session must meet to stay alive: its timeouts, and whether a password login still
/// counts for someone who is not an administrator.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
    /// `password_login_admins_only`: a password session of anyone else is ended.
    pub password_admins_only: bool,
}

impl Timeouts {
    pub fn from_config(c: &crate::config::Config) -> Timeouts {
        Timeouts {
            idle: Duration::minutes(c.session_idle_minutes),
            absolute: Duration::hours(c.session_absolute_hours),
            password_admins_only: c.password_login_admins_only,
        }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub stage: Stage,
    pub csrf_token: String,
    pub pending_totp_secret: Option<String>,
    pub holder: Holder,
    /// How the user logged in (None for an anonymous session).
    pub login_method: Option<LoginMethod>,
    /// The provider's ID token, sealed (`secrets::id_token_place`), after an OpenID Connect
    /// login: the hint for logging out at the provider.
    pub id_token: Option<String>,
}

/// Whom a session belongs to. A visitor's session (before the password step, or while an e-ID
/// login is on its way) belongs to nobody yet; from the password step on it is a member of staff's,
/// whatever its stage. It is not a principal: what the holder may do depends on the stage too
/// (`web::Visitor::ctx` makes the principal).
#[derive(Debug, Clone)]
pub enum Holder {
    Nobody,
    Staff(Actor),
}

impl Holder {
    pub fn staff(&self) -> Option<&Actor> {
        match self {
            Holder::Staff(a) => Some(a),
            Holder::Nobody => None,
        }
    }
}

/// Touching `last_seen_at` on every request would make every read a write; once a minute is
/// precise enough for a 15-minute idle timeout.
const TOUCH_EVERY: i64 = 60;

/// The user with the id as a member of staff, with roles and units; nobody when there is no such
/// user or the account is disabled.
pub fn load_holder(conn: &mut DbConnection, user_id: i64) -> Result<Holder, ServiceError> {
    match users::by_id(conn, user_id)? {
        Some(u) => holder_of(conn, u),
        None => Ok(Holder::Nobody),
    }
}

/// An active user as a member of staff: the user's roles and units read in one statement.
fn holder_of(conn: &mut DbConnection, u: crate::db::models::User) -> Result<Holder, ServiceError> {
    if !u.active {
        return Ok(Holder::Nobody);
    }
    let (roles, units) = users::roles_and_units(conn, u.id)?;
    let units = units
        .into_iter()
        .map(|(id, code, name)| UnitRef { id, code, name })
        .collect();
    Ok(staff(u, roles, units))
}

/// An active user as a member of staff from [`sessions::find_principal`]'s lists: role codes and
/// unit ids, comma-separated; roles in their order, units by name (as [`holder_of`] gives them).
fn holder_of_lists(
    conn: &mut DbConnection,
    u: crate::db::models::User,
    roles: Option<&str>,
    unit_ids: Option<&str>,
) -> Result<Holder, ServiceError> {
    if !u.active {
        return Ok(Holder::Nobody);
    }
    let mut roles: Vec<Role> = roles
        .unwrap_or("")
        .split(',')
        .filter_map(|r| r.parse().ok())
        .collect();
    roles.sort();
    let ids: Vec<i64> = unit_ids
        .unwrap_or("")
        .split(',')
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut units: Vec<UnitRef> = db::org::units_by_ids(conn, &ids)?
        .into_iter()
        .map(|x| UnitRef {
            id: x.id,
            code: x.code,
            name: x.name,
        })
        .collect();
    units.sort_by(|x, y| x.name.cmp(&y.name));
    Ok(staff(u, roles, units))
}

fn staff(u: crate::db::models::User, roles: Vec<Role>, units: Vec<UnitRef>) -> Holder {
    Holder::Staff(Actor {
        user_id: u.id,
        hsa_id: u.hsa_id,
        name: u.name,
        roles,
        units,
        is_decider: u.is_decider,
        lang: crate::i18n::Lang::from_code(&u.lang),
    })
}

/// The session for a cookie value, or None when unknown, expired or its user is disabled (an
/// expired session is removed).
pub fn load(
    conn: &mut DbConnection,
    cookie_value: &str,
    now: DateTime<Utc>,
    t: Timeouts,
) -> Result<Option<Session>, ServiceError> {
    let id_hash = tokens::digest(cookie_value);
    // The session, its user and the user's roles and units in one statement: what every request
    // costs before its own work.
    let Some((row, user, roles, unit_ids)) = sessions::find_principal(conn, &id_hash)? else {
        return Ok(None);
    };
    let now_ts = db::ts(now);
    let expired = row.last_seen_at + t.idle < now_ts || row.created_at + t.absolute < now_ts;
    let holder = match user {
        Some(u) if row.user_id.is_some() => {
            holder_of_lists(conn, u, roles.as_deref(), unit_ids.as_deref())?
        }
        _ => Holder::Nobody,
    };
    // Password login turned off for all but administrators: whatever path a password session
    // took (a login, an enrolment link), it does not outlive the setting.
    let password_refused = t.password_admins_only
        && holder.staff().is_some_and(|a| !a.has(Role::Admin))
        && LoginMethod::parse(row.login_method.as_deref()) == Some(LoginMethod::Password);
    if expired || (row.user_id.is_some() && holder.staff().is_none()) || password_refused {
        sessions::delete(conn, &id_hash)?;
        return Ok(None);
    }
    if (now_ts - row.last_seen_at).num_seconds() >= TOUCH_EVERY {
        // A write: it queues with the other writers (`write_tx`), not in SQLite's busy handler.
        db::write_tx(conn, |c| sessions::touch(c, &id_hash, now_ts))?;
    }
    Ok(Some(to_session(row, holder)))
}

fn to_session(row: SessionRow, holder: Holder) -> Session {
    Session {
        login_method: row
            .user_id
            .and_then(|_| LoginMethod::parse(row.login_method.as_deref())),
        id_token: row.id_token,
        stage: Stage::parse(&row.stage),
        id_hash: row.id_hash,
        csrf_token: row.csrf_token,
        pending_totp_secret: row.pending_totp_secret,
        holder,
    }
}

/// A new session (a user's is a password login's); returns the cookie value (only its digest
/// is stored).
pub fn create(
    conn: &mut DbConnection,
    user_id: Option<i64>,
    stage: Stage,
    now: DateTime<Utc>,
    client_addr: &str,
) -> Result<String, ServiceError> {
    let method = user_id.map(|_| LoginMethod::Password);
    create_for(
        conn,
        user_id,
        stage,
        now,
        client_addr,
        method.as_ref(),
        None,
    )
}

/// A new session of a user who logged in by `method` (with the provider's sealed ID token).
pub fn create_for(
    conn: &mut DbConnection,
    user_id: Option<i64>,
    stage: Stage,
    now: DateTime<Utc>,
    client_addr: &str,
    method: Option<&LoginMethod>,
    sealed_id_token: Option<&str>,
) -> Result<String, ServiceError> {
    let token = tokens::random_token();
    let csrf = tokens::random_token();
    let method = method.map(LoginMethod::code);
    sessions::insert(
        conn,
        &tokens::digest(&token),
        &sessions::NewSession {
            user_id,
            stage: stage.code(),
            csrf_token: &csrf,
            at: db::ts(now),
            client_addr,
            login_method: method.as_deref(),
            id_token: sealed_id_token,
        },
    )?;
    Ok(token)
}

/// A session for a visitor who is not logged in, so that the login form carries a CSRF token.
pub fn create_anonymous(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    client_addr: &str,
) -> Result<(String, Session), ServiceError> {
    let token = create(conn, None, Stage::Anonymous, now, client_addr)?;
    let row = sessions::find(conn, &tokens::digest(&token))?.ok_or(ServiceError::NotFound)?;
    Ok((token, to_session(row, Holder::Nobody)))
}

/// Removes expired sessions (run by a job).
pub fn purge_expired(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    t: Timeouts,
) -> Result<usize, ServiceError> {
    let now = db::ts(now);
    Ok(sessions::delete_expired(
        conn,
        now - t.idle,
        now - t.absolute,
    )?)
}
