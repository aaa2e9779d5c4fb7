//! The case workflow (SPEC §2–3, instruction 002 §1–6): drafting, signing, submitting,
//! intake, the handler's checklist, return, verification, execution with a diary number,
//! withdrawal, emergency calls and paper forms. Every function is one transaction that checks
//! access, applies `domain::case::transition`, saves with optimistic concurrency and writes the
//! timeline and the access log.

mod citizen;
mod emergency;
mod export;
mod handling;
mod input;
mod lifecycle;
mod lists;
mod paper;
mod queries;
mod references;
mod review;

pub use super::settings::Workflow;
pub use citizen::*;
pub use emergency::*;
pub use export::*;
pub use handling::*;
pub use input::*;
pub use lifecycle::*;
pub use lists::*;
pub use paper::*;
pub use queries::*;
pub use references::*;
pub use review::*;

use super::{Access, Actor, Ctx, FieldErrors, Msg, Principal, Refusal, ServiceError, text_field};
use crate::db::models::{CareProvider, CaseCheck, CaseEvent, CaseRow, CaseSummary, Unit, User};
use crate::db::{self, DbConnection, cases, org, users};
use crate::domain::case::{self, Action, ActorKind, Channel, Facts, Kind, RequestedBy, Status};
use crate::domain::diary::DiaryNumber;
use crate::domain::grounds::{self, BASIS, NOT_INFORMED, REQUESTED_BY, RISKS, SITUATIONS};
use crate::domain::locks;
use crate::domain::{Personnummer, Role};
use crate::i18n::Arg;
use crate::register::{PopulationRegister, RegisterPerson};
use chrono::NaiveDate;
use chrono_tz::Europe::Stockholm;

pub const TEXT_MAX: usize = 4000;
pub const SHORT_MAX: usize = 200;

/// Today in Sweden.
pub fn swedish_today(ctx: &Ctx) -> NaiveDate {
    ctx.now.with_timezone(&Stockholm).date_naive()
}

/// The role by which the actor may see this case, if any: handlers see all cases; clinicians,
/// managers and chief physicians the cases of their units.
pub fn access_role(actor: &Actor, case: &CaseRow) -> Option<Role> {
    if actor.has(Role::Handler) {
        return Some(Role::Handler);
    }
    if !actor.units.iter().any(|u| u.id == case.unit_id) {
        return None;
    }
    [Role::Manager, Role::Clinician, Role::ChiefPhysician]
        .into_iter()
        .find(|r| actor.has(*r))
}

fn actor_kind(role: Role) -> ActorKind {
    match role {
        Role::Handler => ActorKind::Handler,
        Role::Clinician | Role::Manager => ActorKind::UnitStaff,
        _ => ActorKind::Other,
    }
}

fn status_of(row: &CaseRow) -> Result<Status, ServiceError> {
    Ok(row.status)
}

fn facts(
    actor: &Actor,
    role: Role,
    row: &CaseRow,
    checks: &[CaseCheck],
    provider: crate::domain::provider::Provider,
    lifted: bool,
) -> Facts {
    let paper = row.channel == crate::domain::case::Channel::Paper;
    let done: Vec<&str> = checks.iter().map(|c| c.item.as_str()).collect();
    Facts {
        lifted,
        actor: actor_kind(role),
        actor_is_decider: actor.is_decider,
        signed: row.decider_user_id.is_some() || (paper && !row.decider_name.is_empty()),
        complete: missing_fields(row).is_empty(),
        checklist_done: grounds::applicable_checks(paper, provider)
            .iter()
            .all(|i| done.contains(i)),
    }
}

/// The case's care provider as the checklist sees it.
fn provider_of(
    conn: &mut DbConnection,
    row: &CaseRow,
) -> Result<crate::domain::provider::Provider, ServiceError> {
    let p = match row.care_provider_id {
        Some(id) => org::provider(conn, id)?,
        None => None,
    };
    Ok(provider_facts(p.as_ref()))
}

/// At most this many of one citizen's cases are weighed by the cross-case rules (far above any
/// real citizen's).
const CITIZEN_CASES_MAX: i64 = 1000;

/// A case as the cross-case rules (`domain::locks`) see it.
pub(crate) fn case_fact(r: &CaseRow) -> locks::CaseFact {
    locks::CaseFact {
        id: r.id,
        kind: r.kind,
        status: r.status,
        executed: r.executed_at.is_some(),
        undoes: r.related_case_id,
    }
}

/// Every case of a citizen (every unit's: whether a lock is in force does not depend on who
/// asks), newest first.
pub(crate) fn citizen_cases(
    conn: &mut DbConnection,
    pnr: &str,
) -> Result<Vec<CaseRow>, ServiceError> {
    Ok(cases::for_citizen(conn, pnr, CITIZEN_CASES_MAX)?)
}

/// The executed unlock that lifted this lock (`domain::locks::lifted_by`), if any.
pub(crate) fn lifting_unlock(
    conn: &mut DbConnection,
    row: &CaseRow,
) -> Result<Option<CaseRow>, ServiceError> {
    if row.kind != Kind::Lock || row.executed_at.is_none() {
        return Ok(None);
    }
    let all = citizen_cases(conn, &row.citizen_pnr)?;
    Ok(lifted_among(row, &all))
}

/// The executed unlock among `all` (the citizen's cases) that lifted this lock, if any.
pub(crate) fn lifted_among(row: &CaseRow, all: &[CaseRow]) -> Option<CaseRow> {
    if row.kind != Kind::Lock || row.executed_at.is_none() {
        return None;
    }
    let facts: Vec<locks::CaseFact> = all.iter().map(case_fact).collect();
    locks::lifted_by(row.id, &facts).and_then(|id| all.iter().find(|c| c.id == id).cloned())
}

fn unit_code(conn: &mut DbConnection, unit_id: i64) -> Result<String, ServiceError> {
    Ok(org::unit(conn, unit_id)?
        .map(|u| u.code)
        .unwrap_or_default())
}

/// Appends to the case's timeline and to the access log, in the caller's transaction.
pub(crate) fn record(
    conn: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
    role: Option<Role>,
    action: &str,
    timeline: Option<(&str, &str)>,
) -> Result<(), ServiceError> {
    record_msg(
        conn,
        ctx,
        row,
        role,
        action,
        timeline.map(|(label, detail)| (label, Msg::from(detail))),
    )
}

/// As `record`, with the timeline's detail a catalog message (worded in the reader's language on
/// the case page).
pub(crate) fn record_msg(
    conn: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
    role: Option<Role>,
    action: &str,
    timeline: Option<(&str, Msg)>,
) -> Result<(), ServiceError> {
    let now = db::ts(ctx.now);
    if let Some((label, detail)) = timeline {
        let name = ctx.principal.timeline_name();
        cases::add_event_msg(conn, row.id, now, ctx.user_id(), &name, label, &detail)?;
    }
    let mut e = ctx.entry(role, action, Some(format!("case:{}", row.id)));
    e.unit_code = Some(unit_code(conn, row.unit_id)?);
    e.personnummer = Some(row.citizen_pnr.clone());
    ctx.log(conn, &e)?;
    Ok(())
}

/// What happened since the user's version, for the "the case changed" answer.
fn conflict(conn: &mut DbConnection, id: i64) -> Result<ServiceError, ServiceError> {
    let row = cases::get(conn, id)?.ok_or(ServiceError::NotFound)?;
    let events = cases::events(conn, id)?;
    use crate::messages::timeline_arg;
    let mut recent = Vec::new();
    for (i, ev) in events.iter().rev().take(3).enumerate() {
        if i > 0 {
            recent.push(Arg::Str("; ".into()));
        }
        let at = ev
            .at
            .and_utc()
            .with_timezone(&Stockholm)
            .format("%Y-%m-%d %H:%M");
        recent.push(Arg::Str(format!("{at} ")));
        recent.push(timeline_arg(&ev.actor_name));
        recent.push(Arg::Str(" – ".into()));
        recent.push(timeline_arg(&ev.action));
    }
    Ok(ServiceError::Conflict(
        Msg::key("case-msg-changed")
            .arg(
                "status",
                status_of(&row).map_or(Arg::Str(String::new()), crate::messages::status_arg),
            )
            .arg("events", Arg::Parts(recent)),
    ))
}

/// Runs `f` on a case the actor may see, in one write transaction. A refused attempt is written
/// to the access log (in its own transaction, since the work's is rolled back) and is `Forbidden`.
pub(crate) fn with_case<T>(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    attempted: &str,
    f: impl FnOnce(&mut DbConnection, CaseRow, Role) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let actor = ctx.actor()?.clone();
    let outcome = db::write_tx(conn, |c| {
        let row = cases::get(c, id)?.ok_or(ServiceError::NotFound)?;
        match crate::domain::policy::decide(
            &Principal::Staff(actor),
            Access::ViewCase {
                unit_id: row.unit_id,
            },
        ) {
            // SPEC §1: a chefläkare sees the area's lock decisions once sent — not the unit's
            // drafts, not unlocks.
            Ok(Some(Role::ChiefPhysician))
                if !crate::domain::policy::chief_physician_sees(
                    row.kind,
                    row.status,
                    row.submitted_at.is_some(),
                ) =>
            {
                Ok(Err((row.citizen_pnr, row.unit_id, Refusal::Role)))
            }
            Ok(Some(role)) => f(c, row, role).map(Ok),
            Ok(None) => Ok(Err((row.citizen_pnr, row.unit_id, Refusal::Principal))),
            Err(refusal) => Ok(Err((row.citizen_pnr, row.unit_id, refusal))),
        }
    })?;
    match outcome {
        Ok(v) => Ok(v),
        Err((pnr, unit_id, refusal)) => {
            let mut denial = ctx.denial(
                Access::ViewCase { unit_id },
                refusal,
                Some(format!("case:{id}")),
                Some(pnr),
                Some(unit_code(conn, unit_id)?),
            );
            if let ServiceError::Denied(d) = &mut denial {
                d.entry.detail = Some(crate::messages::log::access_denied(attempted, refusal));
            }
            Err(denial)
        }
    }
}

/// Applies a lifecycle action to a loaded case: checks the rule, runs `change`, saves with the
/// version check, and records the action.
/// One lifecycle step as requested: the action, the version the user saw, a timeline note.
struct Step {
    action: Action,
    version: i32,
    detail: Msg,
}

fn act(
    conn: &mut DbConnection,
    ctx: &Ctx,
    mut row: CaseRow,
    role: Role,
    step: Step,
    change: impl FnOnce(&mut DbConnection, &mut CaseRow) -> Result<(), ServiceError>,
) -> Result<CaseRow, ServiceError> {
    let Step {
        action,
        version: expected_version,
        detail,
    } = step;
    // A handler's step by anyone else is a refusal (logged), whatever the case's state.
    if action.handlers_only() && role != Role::Handler {
        return Err(ctx.denial(
            Access::HandleCases,
            Refusal::Role,
            Some(format!("case:{}", row.id)),
            Some(row.citizen_pnr.clone()),
            None,
        ));
    }
    if row.version != expected_version {
        return Err(conflict(conn, row.id)?);
    }
    let actor = ctx.actor()?;
    let checks = cases::checks(conn, row.id)?;
    let provider = provider_of(conn, &row)?;
    let from = status_of(&row)?;
    let lifted = lifting_unlock(conn, &row)?.is_some();
    let to = case::transition(
        Some(from),
        action,
        facts(actor, role, &row, &checks, provider, lifted),
    )
    .map_err(|e| match e {
        // A step the role may not take at all (a clinician posting a handler's action) is
        // a refusal, logged; a step out of turn is a conflict the user can resolve.
        case::TransitionError::NotYours { .. } => ctx.denial(
            Access::HandleCases,
            Refusal::Role,
            Some(format!("case:{}", row.id)),
            Some(row.citizen_pnr.clone()),
            None,
        ),
        other => ServiceError::Refused(crate::messages::transition(&other)),
    })?;
    change(conn, &mut row)?;
    row.status = to;
    row.updated_at = db::ts(ctx.now);
    if !cases::save(conn, &row, expected_version)? {
        return Err(conflict(conn, row.id)?);
    }
    row.version = expected_version + 1;
    record_msg(
        conn,
        ctx,
        &row,
        Some(role),
        &format!("case_{}", action.code()),
        Some((action.label(), detail)),
    )?;
    Ok(row)
}

pub(crate) fn blank_row(ctx: &Ctx, kind: Kind, channel: Channel) -> CaseRow {
    let now = db::ts(ctx.now);
    CaseRow {
        id: 0,
        kind,
        status: Status::Draft,
        version: 1,
        channel,
        unit_id: 0,
        care_provider_id: None,
        citizen_pnr: String::new(),
        citizen_name: String::new(),
        citizen_protected: false,
        citizen_contact: String::new(),
        risk_kinds: String::new(),
        basis: String::new(),
        situations: String::new(),
        situation_other: String::new(),
        assessment_reasons: String::new(),
        assessment_risks: String::new(),
        assessment_scope: String::new(),
        requested_by: RequestedBy::Staff,
        decider_user_id: None,
        decider_name: String::new(),
        decider_role: String::new(),
        decider_hsa_id: String::new(),
        decided_on: None,
        journal_note_date: None,
        chief_informed_date: None,
        chief_informed_whom: String::new(),
        patient_informed_date: None,
        patient_not_informed_reason: String::new(),
        journal_sealing_requested: false,
        review_responsible_user_id: None,
        related_case_id: None,
        diary_year: None,
        diary_seq: None,
        diary_number: None,
        helpdesk_ref: String::new(),
        plexus_ref: String::new(),
        arrival_date: None,
        return_reason: String::new(),
        withdraw_reason: String::new(),
        caller_name: String::new(),
        caller_phone: String::new(),
        caller_email: String::new(),
        form_linked_at: None,
        executed_at: None,
        executed_by_user_id: None,
        review_due: None,
        submitted_at: None,
        created_by_user_id: ctx.user_id(),
        created_at: now,
        updated_at: now,
        journal_note_reason: String::new(),
        journal_sealing_answered: false,
        duplicate_reason: String::new(),
        review_responsible_name: String::new(),
        review_responsible_email: String::new(),
        review_responsible_hsa_id: String::new(),
    }
}

/// The role a user creates cases in: unit staff for their units, handlers for any unit.
fn creating_role(ctx: &Ctx, actor: &Actor) -> Result<Role, ServiceError> {
    [Role::Manager, Role::Clinician, Role::Handler]
        .into_iter()
        .find(|r| actor.has(*r))
        .ok_or_else(|| {
            ctx.denial(
                Access::FileCase { unit_id: 0 },
                Refusal::Role,
                None,
                None,
                None,
            )
        })
}
