//! The start page: what waits for the user, per role, as counts. Each count is made by the same
//! selection as the list it links to (`Target`), so that the list shows exactly the rows counted.
//! No citizen data is read out to the page — counts, case and diary numbers, units and ages — so
//! the page names no citizen and has nothing to write to the access log. Every count is an
//! indexed query stopped at [`CAP`] ("fler än 1 000").

use super::admin;
use super::audit::review as audit_review;
use super::cases::{self, ListFilter, QueueSelection, ReviewSelection};
use super::{Access, Ctx, ServiceError};
use crate::config::Config;
use crate::db::org::UnitSelection;
use crate::db::page::Count;
use crate::db::{self, DbConnection, org};
use crate::domain::Role;
use crate::domain::case::{Kind, Status};
use chrono::{Datelike, NaiveDate};

/// The start page counts at most this many rows of a kind.
pub const CAP: i64 = 1_000;
/// How many of the oldest waiting cases the handler's page names (by number).
pub const OLDEST: i64 = 5;
/// "Feedback received": closed cases last changed within this many days.
pub const FEEDBACK_DAYS: u64 = 30;

/// The settings the start page reads.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// An emergency lock's form is overdue after this many days (when its first reminder goes).
    pub form_every_days: i64,
    /// A review is due soon this many days ahead (when its first reminder goes).
    pub review_soon_days: i64,
    /// A spot check of the access log is due when none was recorded in this many days.
    pub spot_check_days: i64,
    pub audit: audit_review::Settings,
}

impl Settings {
    pub fn from_config(c: &Config) -> Self {
        Settings {
            form_every_days: c.form_reminder_every_days.max(1),
            review_soon_days: c.review_remind_before_days.max(0),
            spot_check_days: c.audit_spot_check_days.max(1),
            audit: audit_review::Settings::from_config(c),
        }
    }
}

/// The list a count is of: the web layer makes the link from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The case list (`/arenden`) with a filter.
    Cases(ListFilter),
    /// The handler's queue (`/handlaggning`) with a selection.
    Queue(QueueSelection),
    /// The review list (`/omprovningar`) with a selection.
    Reviews(ReviewSelection),
    /// The failed mail (`/admin/post`).
    FailedMail,
    /// Staff who never finished enrolment (`/admin/anvandare`).
    UnfinishedUsers,
    /// A selection of units (`/admin/enheter`).
    Units(UnitChoice),
    /// "Entries to look at" for its default period (`/logg/granska`).
    AuditReview,
}

/// A selection of the unit list as a link carries it (the time of an expiry is the request's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitChoice {
    NoManagerEmail,
    NoCertificate,
    /// The certificate has expired or expires within `mail::cert::WARN_DAYS` days.
    CertificateExpiring,
}

impl UnitChoice {
    pub fn code(self) -> &'static str {
        match self {
            UnitChoice::NoManagerEmail => "utan-chef",
            UnitChoice::NoCertificate => "utan-certifikat",
            UnitChoice::CertificateExpiring => "certifikat",
        }
    }

    pub fn from_code(s: &str) -> Option<UnitChoice> {
        [
            UnitChoice::NoManagerEmail,
            UnitChoice::NoCertificate,
            UnitChoice::CertificateExpiring,
        ]
        .into_iter()
        .find(|c| c.code() == s)
    }

    /// The selection at the request's time.
    pub fn selection(self, now: chrono::DateTime<chrono::Utc>) -> UnitSelection {
        match self {
            UnitChoice::NoManagerEmail => UnitSelection::NoManagerEmail,
            UnitChoice::NoCertificate => UnitSelection::NoCertificate,
            UnitChoice::CertificateExpiring => UnitSelection::CertificateBy(db::ts(
                now + chrono::Duration::days(crate::mail::cert::WARN_DAYS),
            )),
        }
    }
}

/// A count and the list behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub count: Count,
    pub target: Target,
}

/// A case waiting, as the start page names it: by number, never by citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: i64,
    pub diary_number: Option<String>,
    pub kind: Kind,
    pub unit_code: String,
    /// Whole days since it was sent (or since the emergency call).
    pub days: i64,
    pub overdue: bool,
}

#[derive(Debug, Clone)]
pub struct HandlerStart {
    /// New and resubmitted cases (status *Inskickad*), and the oldest of them.
    pub new_cases: Tally,
    pub oldest_new: Vec<Waiting>,
    /// Emergency locks waiting for their form; those waiting longer than the reminder interval;
    /// the oldest (overdue first).
    pub forms: Tally,
    pub forms_overdue: Tally,
    pub oldest_forms: Vec<Waiting>,
    pub form_every_days: i64,
    pub failed_mail: Tally,
    pub certificates: Tally,
}

#[derive(Debug, Clone)]
pub struct UnitStart {
    pub returned: Tally,
    pub unsigned_drafts: Tally,
    pub reviews_overdue: Tally,
    pub reviews_soon: Tally,
    pub review_soon_days: i64,
    pub feedback: Tally,
}

#[derive(Debug, Clone)]
pub struct ChiefStart {
    /// Lock decisions of the area dated this month (from the first to today).
    pub decided_this_month: Tally,
    pub month_start: NaiveDate,
    pub reviews_overdue: Tally,
}

#[derive(Debug, Clone)]
pub struct AuditorStart {
    pub findings: Tally,
    /// The newest recorded spot check's day (Swedish time), if any.
    pub last_check: Option<NaiveDate>,
    /// Days since it (none: never).
    pub days_since: Option<i64>,
    /// No check in `spot_check_days` days.
    pub check_due: bool,
    pub spot_check_days: i64,
}

#[derive(Debug, Clone)]
pub struct AdminStart {
    pub unfinished_users: Tally,
    pub units_without_manager: Tally,
    pub units_without_certificate: Tally,
    pub certificates: Tally,
    pub failed_mail: Tally,
}

/// The sections of one user's start page: one per role that has work to show.
#[derive(Debug, Clone, Default)]
pub struct Start {
    pub handler: Option<HandlerStart>,
    pub unit: Option<UnitStart>,
    pub chief: Option<ChiefStart>,
    pub auditor: Option<AuditorStart>,
    pub admin: Option<AdminStart>,
}

/// What waits for the logged-in user. Each section asks the policy through the function that
/// counts (the same one its list uses), so a user sees only what their roles and units allow.
pub fn start(conn: &mut DbConnection, ctx: &Ctx, s: &Settings) -> Result<Start, ServiceError> {
    let actor = ctx.actor()?.clone();
    ctx.authorize(Access::StaffPages)?;
    let mut out = Start::default();
    if actor.has(Role::Handler) {
        out.handler = Some(handler(conn, ctx, s)?);
    }
    if actor.has(Role::Clinician) || actor.has(Role::Manager) {
        out.unit = Some(unit_staff(conn, ctx, s)?);
    }
    if actor.has(Role::ChiefPhysician) {
        out.chief = Some(chief(conn, ctx)?);
    }
    if actor.has(Role::Auditor) {
        out.auditor = Some(auditor(conn, ctx, s)?);
    }
    if actor.has(Role::Admin) {
        out.admin = Some(admin_section(conn, ctx)?);
    }
    Ok(out)
}

/// The oldest cases of a queue selection (its first page) and the selection's count, read by
/// the same query as the queue's first page. Only numbers, units and ages leave this function.
fn queue_tally(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: QueueSelection,
    overdue_after: Option<i64>,
) -> Result<(Tally, Vec<Waiting>), ServiceError> {
    let count = cases::queue_count(conn, ctx, &selection, CAP)?;
    let rows = cases::queue_oldest(conn, ctx, &selection, OLDEST)?;
    let units = org::all_units(conn)?;
    let waiting = rows
        .into_iter()
        .map(|r| {
            let since = r.submitted_at.unwrap_or(r.created_at);
            let days = (db::ts(ctx.now) - since).num_days().max(0);
            Waiting {
                id: r.id,
                diary_number: r.diary_number,
                kind: r.kind,
                unit_code: units
                    .iter()
                    .find(|u| u.id == r.unit_id)
                    .map(|u| u.code.clone())
                    .unwrap_or_default(),
                days,
                overdue: overdue_after.is_some_and(|d| days >= d),
            }
        })
        .collect();
    Ok((
        Tally {
            count,
            target: Target::Queue(selection),
        },
        waiting,
    ))
}

fn handler(conn: &mut DbConnection, ctx: &Ctx, s: &Settings) -> Result<HandlerStart, ServiceError> {
    let (new_cases, oldest_new) = queue_tally(
        conn,
        ctx,
        QueueSelection {
            status: Some(Status::Submitted),
            waited_days: None,
        },
        None,
    )?;
    let (forms, oldest_forms) = queue_tally(
        conn,
        ctx,
        QueueSelection {
            status: Some(Status::FormPending),
            waited_days: None,
        },
        Some(s.form_every_days),
    )?;
    let overdue = QueueSelection {
        status: Some(Status::FormPending),
        waited_days: u32::try_from(s.form_every_days).ok(),
    };
    let forms_overdue = Tally {
        count: cases::queue_count(conn, ctx, &overdue, CAP)?,
        target: Target::Queue(overdue),
    };
    Ok(HandlerStart {
        new_cases,
        oldest_new,
        forms,
        forms_overdue,
        oldest_forms,
        form_every_days: s.form_every_days,
        failed_mail: failed_mail(conn, ctx)?,
        certificates: units_tally(conn, ctx, UnitChoice::CertificateExpiring)?,
    })
}

fn failed_mail(conn: &mut DbConnection, ctx: &Ctx) -> Result<Tally, ServiceError> {
    Ok(Tally {
        count: super::outbox::failed_count(conn, ctx, CAP)?,
        target: Target::FailedMail,
    })
}

fn units_tally(conn: &mut DbConnection, ctx: &Ctx, c: UnitChoice) -> Result<Tally, ServiceError> {
    Ok(Tally {
        count: admin::units_count(conn, ctx, c.selection(ctx.now), CAP)?,
        target: Target::Units(c),
    })
}

fn cases_tally(conn: &mut DbConnection, ctx: &Ctx, f: ListFilter) -> Result<Tally, ServiceError> {
    Ok(Tally {
        count: cases::list_count(conn, ctx, &f, CAP)?,
        target: Target::Cases(f),
    })
}

fn reviews_tally(
    conn: &mut DbConnection,
    ctx: &Ctx,
    r: ReviewSelection,
    soon_days: i64,
) -> Result<Tally, ServiceError> {
    Ok(Tally {
        count: cases::reviews_count(conn, ctx, r, soon_days, CAP)?,
        target: Target::Reviews(r),
    })
}

fn unit_staff(conn: &mut DbConnection, ctx: &Ctx, s: &Settings) -> Result<UnitStart, ServiceError> {
    let today = cases::swedish_today(ctx);
    Ok(UnitStart {
        returned: cases_tally(
            conn,
            ctx,
            ListFilter {
                status: Some(Status::Returned.code().into()),
                ..Default::default()
            },
        )?,
        unsigned_drafts: cases_tally(
            conn,
            ctx,
            ListFilter {
                status: Some(Status::Draft.code().into()),
                signed: Some(false),
                ..Default::default()
            },
        )?,
        reviews_overdue: reviews_tally(conn, ctx, ReviewSelection::Overdue, s.review_soon_days)?,
        reviews_soon: reviews_tally(conn, ctx, ReviewSelection::Soon, s.review_soon_days)?,
        review_soon_days: s.review_soon_days,
        feedback: cases_tally(
            conn,
            ctx,
            ListFilter {
                status: Some(Status::Closed.code().into()),
                from: today.checked_sub_days(chrono::Days::new(FEEDBACK_DAYS - 1)),
                ..Default::default()
            },
        )?,
    })
}

fn chief(conn: &mut DbConnection, ctx: &Ctx) -> Result<ChiefStart, ServiceError> {
    let today = cases::swedish_today(ctx);
    let month_start = today.with_day(1).unwrap_or(today);
    Ok(ChiefStart {
        decided_this_month: cases_tally(
            conn,
            ctx,
            ListFilter {
                kind: Some(Kind::Lock.code().into()),
                decided_from: Some(month_start),
                decided_until: Some(today),
                ..Default::default()
            },
        )?,
        month_start,
        reviews_overdue: reviews_tally(conn, ctx, ReviewSelection::Overdue, 0)?,
    })
}

fn auditor(conn: &mut DbConnection, ctx: &Ctx, s: &Settings) -> Result<AuditorStart, ServiceError> {
    let findings = Tally {
        count: audit_review::count_default_period(conn, ctx, &s.audit)?,
        target: Target::AuditReview,
    };
    let today = cases::swedish_today(ctx);
    let last_check = super::audit::checks::list(conn, ctx, None)?
        .0
        .first()
        .map(|c| crate::domain::review::swedish_date(c.created_at.and_utc()));
    let days_since = last_check.map(|d| (today - d).num_days());
    Ok(AuditorStart {
        findings,
        last_check,
        days_since,
        check_due: days_since.is_none_or(|d| d >= s.spot_check_days),
        spot_check_days: s.spot_check_days,
    })
}

fn admin_section(conn: &mut DbConnection, ctx: &Ctx) -> Result<AdminStart, ServiceError> {
    Ok(AdminStart {
        unfinished_users: Tally {
            count: admin::unfinished_count(conn, ctx, CAP)?,
            target: Target::UnfinishedUsers,
        },
        units_without_manager: units_tally(conn, ctx, UnitChoice::NoManagerEmail)?,
        units_without_certificate: units_tally(conn, ctx, UnitChoice::NoCertificate)?,
        certificates: units_tally(conn, ctx, UnitChoice::CertificateExpiring)?,
        failed_mail: failed_mail(conn, ctx)?,
    })
}
