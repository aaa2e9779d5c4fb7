//! Use cases. Each public function is one transaction that loads, applies the rule, saves and
//! writes the access log; web handlers call these and nothing below them.

pub mod admin;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod clientcert;
pub mod demo;
pub mod feedback;
pub mod identified;
pub mod intake;
pub mod notices;
pub mod oidc;
pub mod outbox;
pub mod reminders;
pub mod session;
pub mod settings;
pub mod start;
pub mod stats;

use crate::db::audit::NewEntry;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use chrono::{DateTime, Utc};

pub use crate::i18n::Msg;

pub use crate::domain::policy::{Access, Actor, Job, Principal, Refusal, UnitRef};

/// What a CSV export wrote (the auditor's exports, the case list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub rows: i64,
    /// More rows matched than the export's cap: the file holds the first ones (newest first).
    pub capped: bool,
}

/// Who acts, from where, and when.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    pub client_addr: String,
    pub principal: Principal,
}

impl Ctx {
    /// A context for work that is not a request: the command line, a job, demo seeding.
    pub fn of(principal: Principal, now: DateTime<Utc>) -> Ctx {
        Ctx {
            now,
            client_addr: "local".to_string(),
            principal,
        }
    }

    /// The fully logged-in member of staff acting; anyone else is refused.
    pub fn actor(&self) -> Result<&Actor, ServiceError> {
        self.principal.staff().ok_or_else(|| {
            let refusal = match self.principal {
                Principal::Visitor | Principal::Enrolling(_) => Refusal::NotLoggedIn,
                _ => Refusal::Principal,
            };
            self.denial(Access::StaffPages, refusal, None, None, None)
        })
    }

    /// The person acting on their own account: logged in, or half-way (a new password, TOTP).
    pub fn person(&self) -> Result<&Actor, ServiceError> {
        self.principal
            .person()
            .ok_or_else(|| self.denial(Access::StaffPages, Refusal::NotLoggedIn, None, None, None))
    }

    /// Requires a role of the member of staff acting.
    pub fn require(&self, access: Access) -> Result<Role, ServiceError> {
        match self.authorize(access)? {
            Some(r) => Ok(r),
            None => Err(self.denial(access, Refusal::Principal, None, None, None)),
        }
    }

    /// The staff member's user id, if a member of staff acts.
    pub fn user_id(&self) -> Option<i64> {
        self.principal.person().map(|a| a.user_id)
    }

    /// An access-log entry for this principal acting in `role`.
    pub fn entry(&self, role: Option<Role>, action: &str, object: Option<String>) -> NewEntry {
        NewEntry {
            user_hsa_id: self.principal.log_name(),
            role: role.map(|r| r.code().to_string()),
            unit_code: None,
            action: action.to_string(),
            object,
            personnummer: None,
            client_addr: Some(self.client_addr.clone()),
            detail: None,
            subjects: vec![],
        }
    }

    pub fn log(&self, conn: &mut DbConnection, entry: &NewEntry) -> Result<(), ServiceError> {
        db::audit::append(conn, db::ts(self.now), entry)?;
        Ok(())
    }

    /// Decides `access` by the policy: the role acted in, or a `Denied` error that the web layer
    /// writes to the access log (`access_denied`) once the work's transaction has rolled back.
    pub fn authorize(&self, access: Access) -> Result<Option<Role>, ServiceError> {
        crate::domain::policy::decide(&self.principal, access)
            .map_err(|refusal| self.denial(access, refusal, None, None, None))
    }

    /// A refusal, ready to be logged: what was asked, why not, and of whom.
    pub fn denial(
        &self,
        access: Access,
        refusal: Refusal,
        object: Option<String>,
        personnummer: Option<String>,
        unit_code: Option<String>,
    ) -> ServiceError {
        let mut entry = self.entry(None, "access_denied", object);
        entry.personnummer = personnummer;
        entry.unit_code = unit_code;
        entry.detail = Some(crate::messages::log::denied(access, refusal));
        ServiceError::Denied(Box::new(Denial {
            refusal,
            at: self.now,
            entry,
        }))
    }
}

/// A refused attempt, carried out of the (rolled back) work to be logged on its own.
#[derive(Debug, Clone)]
pub struct Denial {
    pub refusal: Refusal,
    pub at: DateTime<Utc>,
    pub entry: NewEntry,
}

/// Writes a refusal to the access log in a transaction of its own and turns it into `Forbidden`
/// (the "Försöket har loggats" page). Every refusal a request meets passes through here.
pub fn record_refusal(conn: &mut DbConnection, error: ServiceError) -> ServiceError {
    match error {
        ServiceError::Denied(d) => {
            match db::write_tx(conn, |c| db::audit::append(c, db::ts(d.at), &d.entry)) {
                Ok(_) => ServiceError::Forbidden,
                Err(e) => ServiceError::Db(e),
            }
        }
        other => other,
    }
}

/// A form field and what is wrong with it: a message of the catalog (`messages`), worded in the
/// reader's language when the form is shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, Msg)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<Msg>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }
    pub fn get(&self, field: &str) -> Option<&Msg> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m)
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
    /// Writing a file (an export) failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A refusal already written to the access log.
    #[error("forbidden")]
    Forbidden,
    /// A refusal still to be logged (see `record_refusal`).
    #[error("access denied: {}", .0.refusal)]
    Denied(Box<Denial>),
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("login failed")]
    LoginFailed,
    #[error("enrolment link unusable")]
    LinkInvalid,
    /// A rule of the use case declined the work (the policy allowed it), with a typed reason the
    /// web layer words in the reader's language.
    #[error("{}", .0.msg())]
    Declined(Reason),
    /// A rule of the case work refused the step: a message of the catalog (with its arguments),
    /// worded when it is shown, in the reader's language (the intake API words it in Swedish).
    #[error("{0}")]
    Refused(Msg),
    /// The case changed under the user (another version), or a step meets a state it cannot
    /// change: a catalog message as for `Refused`.
    #[error("{0}")]
    Conflict(Msg),
    /// Something broke that the user cannot fix (a message could not be built, a file not
    /// stored): the cause goes to the log, the user sees the technical-error page.
    #[error("{0}")]
    Technical(String),
}

/// Why a service declined work that the access policy allowed (access refusals are
/// `domain::policy::Refusal`). Typed, not a sentence: `msg` gives its catalog text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// An administrator may not deactivate themselves or drop their own administrator role.
    OwnAdminAccess,
    /// `admin create` while there is an administrator already.
    AdminExists,
    /// A failed message without a recipient cannot be sent again.
    MailNoRecipient,
    /// Only failed messages can be sent again.
    MailNotFailed,
    /// A stored TOTP secret cannot be opened (wrong key file or a damaged value).
    SecretUnreadable,
}

impl Reason {
    pub fn msg(self) -> Msg {
        use crate::messages as m;
        Msg::from(match self {
            Reason::OwnAdminAccess => m::OWN_ADMIN_ACCESS,
            Reason::AdminExists => m::ADMIN_EXISTS,
            Reason::MailNoRecipient => m::MAIL_NO_RECIPIENT,
            Reason::MailNotFailed => m::MAIL_NOT_FAILED,
            Reason::SecretUnreadable => m::SECRET_UNREADABLE,
        })
    }
}

impl ServiceError {
    /// The database is unreachable: the user is asked to try again in a moment (503).
    pub fn is_unavailable(&self) -> bool {
        match self {
            ServiceError::Db(e) => crate::db::is_connection_lost(e),
            ServiceError::Pool(e) => e.is_unavailable(),
            _ => false,
        }
    }
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

/// The database answers and takes a write: this node's heartbeat row is upserted.
pub fn ping(conn: &mut DbConnection, node: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
    db::health::beat(conn, node, db::ts(now))?;
    Ok(())
}
