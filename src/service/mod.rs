//! Use cases. Each public function is one transaction that loads, applies the rule, saves and
//! writes the access log; web handlers call these and nothing below them.

pub mod admin;
pub mod attachments;
pub mod auth;
pub mod cases;
pub mod demo;
pub mod feedback;
pub mod intake;
pub mod outbox;
pub mod reminders;
pub mod session;

use crate::db::audit::NewEntry;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use chrono::{DateTime, Utc};

/// A unit as the actor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The logged-in user a request acts for.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub hsa_id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub units: Vec<UnitRef>,
    pub is_decider: bool,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn require(&self, role: Role) -> Result<(), ServiceError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    pub fn roles_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Who acts, from where, and when.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    pub client_addr: String,
    pub actor: Option<Actor>,
}

impl Ctx {
    pub fn actor(&self) -> Result<&Actor, ServiceError> {
        self.actor.as_ref().ok_or(ServiceError::Forbidden)
    }

    /// An access-log entry for this actor acting in `role`.
    pub fn entry(&self, role: Option<Role>, action: &str, object: Option<String>) -> NewEntry {
        NewEntry {
            user_hsa_id: self.actor.as_ref().map(|a| a.hsa_id.clone()),
            role: role.map(|r| r.code().to_string()),
            unit_code: None,
            action: action.to_string(),
            object,
            personnummer: None,
            client_addr: Some(self.client_addr.clone()),
            detail: None,
        }
    }

    pub fn log(&self, conn: &mut DbConnection, entry: &NewEntry) -> Result<(), ServiceError> {
        db::audit::append(conn, db::ts(self.now), entry)?;
        Ok(())
    }
}

/// A form field and what is wrong with it (Swedish).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] crate::db::DbError),
    #[error(transparent)]
    Hash(#[from] crate::auth::password::HashError),
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("login failed")]
    LoginFailed,
    #[error("enrolment link unusable")]
    LinkInvalid,
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Conflict(String),
}

/// Checks a required text field's presence and length; returns it trimmed.
pub fn text_field(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let v = value.trim().to_string();
    if required && v.is_empty() {
        errors.add(field, crate::messages::REQUIRED);
    } else if v.chars().count() > max {
        errors.add(field, crate::messages::too_long(max));
    } else if crate::domain::validate::has_control(&v, true) {
        errors.add(field, crate::messages::CONTROL_CHARS);
    }
    v
}

/// As `text_field`, for a one-line value (a name): no line breaks or tabs either.
pub fn line_field(e: &mut FieldErrors, f: &'static str, v: &str, max: usize, req: bool) -> String {
    let v = text_field(e, f, v, max, req);
    if e.get(f).is_none() && crate::domain::validate::has_control(&v, false) {
        e.add(f, crate::messages::CONTROL_CHARS);
    }
    v
}

/// The database answers.
pub fn ping(conn: &mut DbConnection) -> Result<(), ServiceError> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1")?;
    Ok(())
}
