//! The case workflow (SPEC §2–3, instruction 002 §1–6): drafting, signing, submitting,
//! intake, the handler's checklist, return, verification, execution with a diary number,
//! withdrawal, emergency calls and paper forms. Every function is one transaction that checks
//! access, applies `domain::case::transition`, saves with optimistic concurrency and writes the
//! timeline and the access log.

use super::{Access, Actor, Ctx, FieldErrors, Principal, Refusal, ServiceError, text_field};
use crate::db::models::{CareProvider, CaseCheck, CaseEvent, CaseRow, Unit, User};
use crate::db::{self, DbConnection, cases, org, users};
use crate::domain::case::{self, Action, ActorKind, Facts, Kind, Status};
use crate::domain::diary::DiaryNumber;
use crate::domain::grounds::{self, BASIS, NOT_INFORMED, REQUESTED_BY, RISKS, SITUATIONS};
use crate::domain::{Personnummer, Role};
use crate::register::{PopulationRegister, RegisterPerson};
use chrono::{NaiveDate, Utc};
use chrono_tz::Europe::Stockholm;

pub const TEXT_MAX: usize = 4000;
pub const SHORT_MAX: usize = 200;

/// The case form as typed (every field a string, so nothing typed is lost on an error).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CaseInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub citizen_pnr: String,
    #[serde(default)]
    pub citizen_name: String,
    #[serde(default)]
    pub citizen_protected: bool,
    #[serde(default)]
    pub citizen_contact: String,
    #[serde(default)]
    pub risk_kinds: Vec<String>,
    #[serde(default)]
    pub basis: Vec<String>,
    #[serde(default)]
    pub situations: Vec<String>,
    #[serde(default)]
    pub situation_other: String,
    #[serde(default)]
    pub assessment_reasons: String,
    #[serde(default)]
    pub assessment_risks: String,
    #[serde(default)]
    pub assessment_scope: String,
    #[serde(default)]
    pub requested_by: String,
    #[serde(default)]
    pub journal_note_date: String,
    #[serde(default)]
    pub chief_informed_date: String,
    #[serde(default)]
    pub chief_informed_whom: String,
    #[serde(default)]
    pub patient_informed_date: String,
    #[serde(default)]
    pub patient_not_informed_reason: String,
    #[serde(default)]
    pub journal_sealing: String,
    #[serde(default)]
    pub review_responsible_user_id: String,
    #[serde(default)]
    pub care_provider: String,
    #[serde(default)]
    pub related_case_id: String,
    #[serde(default)]
    pub arrival_date: String,
    /// Keyed in from a paper form: who signed it.
    #[serde(default)]
    pub decider_name: String,
    #[serde(default)]
    pub decider_hsa_id: String,
    #[serde(default)]
    pub decider_role: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default)]
    pub version: i32,
}

impl CaseInput {
    /// The form filled from a stored case (for editing).
    pub fn from_row(r: &CaseRow) -> CaseInput {
        let d = |x: Option<NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
        CaseInput {
            kind: r.kind.clone(),
            unit_id: r.unit_id.to_string(),
            citizen_pnr: Personnummer::parse(&r.citizen_pnr, Utc::now().date_naive())
                .map(|p| p.canonical())
                .unwrap_or_else(|_| r.citizen_pnr.clone()),
            // A protected citizen's name and contact data are never put back in a form (left
            // empty, they are kept as stored).
            citizen_name: if r.citizen_protected {
                String::new()
            } else {
                r.citizen_name.clone()
            },
            citizen_protected: r.citizen_protected,
            citizen_contact: if r.citizen_protected {
                String::new()
            } else {
                r.citizen_contact.clone()
            },
            risk_kinds: grounds::split(&r.risk_kinds),
            basis: grounds::split(&r.basis),
            situations: grounds::split(&r.situations),
            situation_other: r.situation_other.clone(),
            assessment_reasons: r.assessment_reasons.clone(),
            assessment_risks: r.assessment_risks.clone(),
            assessment_scope: r.assessment_scope.clone(),
            requested_by: r.requested_by.clone(),
            journal_note_date: d(r.journal_note_date),
            chief_informed_date: d(r.chief_informed_date),
            chief_informed_whom: r.chief_informed_whom.clone(),
            patient_informed_date: d(r.patient_informed_date),
            patient_not_informed_reason: r.patient_not_informed_reason.clone(),
            journal_sealing: match (
                r.journal_sealing_requested,
                r.decided_on.is_some() || r.status != "draft",
            ) {
                (true, _) => "yes".into(),
                (false, true) => "no".into(),
                (false, false) => String::new(),
            },
            review_responsible_user_id: r
                .review_responsible_user_id
                .map(|x| x.to_string())
                .unwrap_or_default(),
            care_provider: match r.care_provider_id {
                Some(p) => p.to_string(),
                None => "region".into(),
            },
            related_case_id: r.related_case_id.map(|x| x.to_string()).unwrap_or_default(),
            arrival_date: d(r.arrival_date),
            decider_name: r.decider_name.clone(),
            decider_hsa_id: r.decider_hsa_id.clone(),
            decider_role: r.decider_role.clone(),
            decided_on: d(r.decided_on),
            version: r.version,
        }
    }
}

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
    row.status
        .parse()
        .map_err(|_| ServiceError::Refused("Okänd status".into()))
}

pub(crate) fn parse_date(
    e: &mut FieldErrors,
    field: &'static str,
    value: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if d > today => {
            e.add(field, "Datumet kan inte vara senare än i dag.");
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            e.add(
                field,
                "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2026-11-22.",
            );
            None
        }
    }
}

fn choices(
    e: &mut FieldErrors,
    field: &'static str,
    values: &[String],
    allowed: grounds::Choices,
) -> String {
    let mut v: Vec<String> = values
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v.dedup();
    if v.iter().any(|x| !grounds::is_choice(allowed, x)) {
        e.add(field, "Välj bland alternativen.");
    }
    grounds::join(&v)
}

/// Copies the typed form into the row, collecting format errors (not completeness: drafts may
/// be partial). Tampered references (a unit the actor does not belong to) are `Forbidden`.
pub(crate) fn apply_input(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor_role: Role,
    row: &mut CaseRow,
    input: &CaseInput,
) -> Result<FieldErrors, ServiceError> {
    let today = swedish_today(ctx);
    let mut e = FieldErrors::default();
    match input.kind.parse::<Kind>() {
        Ok(k) => row.kind = k.code().into(),
        Err(_) if row.status == "draft" && row.id == 0 => {
            e.add("kind", "Välj låsning eller upplåsning.")
        }
        Err(_) => {}
    }
    // The unit: one of the actor's own (a handler, or the intake API, may choose any active
    // unit). Another unit's id is a tampered form: refused and logged.
    match input.unit_id.trim().parse::<i64>() {
        Ok(uid) => match org::unit(conn, uid)?.filter(|u| u.active) {
            Some(u) => {
                let access = Access::FileCase { unit_id: uid };
                match crate::domain::policy::decide(&ctx.principal, access) {
                    Ok(_) => row.unit_id = uid,
                    Err(refusal) => {
                        return Err(ctx.denial(access, refusal, None, None, Some(u.code)));
                    }
                }
            }
            None => e.add("unit_id", "Välj en enhet."),
        },
        Err(_) => e.add("unit_id", "Välj en enhet."),
    }
    match Personnummer::parse(&input.citizen_pnr, today) {
        Ok(p) => row.citizen_pnr = p.digits(),
        Err(err) => {
            e.add("citizen_pnr", crate::messages::personnummer(err));
            row.citizen_pnr = input.citizen_pnr.trim().chars().take(20).collect();
        }
    }
    let keep_hidden = row.citizen_protected && input.citizen_protected;
    let name = text_field(
        &mut e,
        "citizen_name",
        &input.citizen_name,
        SHORT_MAX,
        false,
    );
    if !(keep_hidden && name.is_empty()) {
        row.citizen_name = name;
    }
    let contact = text_field(
        &mut e,
        "citizen_contact",
        &input.citizen_contact,
        SHORT_MAX,
        false,
    );
    if !(keep_hidden && contact.is_empty()) {
        row.citizen_contact = contact;
    }
    row.citizen_protected = input.citizen_protected;
    row.risk_kinds = choices(&mut e, "risk_kinds", &input.risk_kinds, RISKS);
    row.basis = choices(&mut e, "basis", &input.basis, BASIS);
    row.situations = choices(&mut e, "situations", &input.situations, SITUATIONS);
    row.situation_other = text_field(
        &mut e,
        "situation_other",
        &input.situation_other,
        SHORT_MAX,
        false,
    );
    row.assessment_reasons = text_field(
        &mut e,
        "assessment_reasons",
        &input.assessment_reasons,
        TEXT_MAX,
        false,
    );
    row.assessment_risks = text_field(
        &mut e,
        "assessment_risks",
        &input.assessment_risks,
        TEXT_MAX,
        false,
    );
    row.assessment_scope = text_field(
        &mut e,
        "assessment_scope",
        &input.assessment_scope,
        TEXT_MAX,
        false,
    );
    let rb = input.requested_by.trim();
    if rb.is_empty() || grounds::is_choice(REQUESTED_BY, rb) {
        row.requested_by = if rb.is_empty() {
            "staff".into()
        } else {
            rb.into()
        };
    } else {
        e.add("requested_by", "Välj vem som begärde låsningen.");
    }
    row.journal_note_date =
        parse_date(&mut e, "journal_note_date", &input.journal_note_date, today);
    row.chief_informed_date = parse_date(
        &mut e,
        "chief_informed_date",
        &input.chief_informed_date,
        today,
    );
    row.chief_informed_whom = text_field(
        &mut e,
        "chief_informed_whom",
        &input.chief_informed_whom,
        SHORT_MAX,
        false,
    );
    row.patient_informed_date = parse_date(
        &mut e,
        "patient_informed_date",
        &input.patient_informed_date,
        today,
    );
    let ni = input.patient_not_informed_reason.trim();
    if ni.is_empty() || grounds::is_choice(NOT_INFORMED, ni) {
        row.patient_not_informed_reason = ni.into();
    } else {
        e.add("patient_not_informed_reason", "Välj ett skäl.");
    }
    row.journal_sealing_requested = input.journal_sealing == "yes";
    row.arrival_date = parse_date(&mut e, "arrival_date", &input.arrival_date, today);
    // Review responsible: an active member of the unit.
    row.review_responsible_user_id = match input.review_responsible_user_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(uid) if users::is_member(conn, uid, row.unit_id)? => Some(uid),
            _ => {
                e.add("review_responsible_user_id", "Välj en person på enheten.");
                None
            }
        },
    };
    // Care provider: the region, or a private provider on the approved list.
    row.care_provider_id = match input.care_provider.trim() {
        "" | "region" => None,
        s => match s
            .parse::<i64>()
            .ok()
            .map(|id| org::provider(conn, id))
            .transpose()?
            .flatten()
        {
            Some(p) if p.approved => Some(p.id),
            _ => {
                e.add(
                    "care_provider",
                    "Vårdgivaren finns inte på listan över godkända privata vårdgivare.",
                );
                None
            }
        },
    };
    // Unlock: the earlier lock of the same citizen.
    row.related_case_id = match input.related_case_id.trim() {
        "" => None,
        s => match s
            .parse::<i64>()
            .ok()
            .map(|id| cases::get(conn, id))
            .transpose()?
            .flatten()
        {
            Some(c)
                if c.citizen_pnr == row.citizen_pnr
                    && proposed_locks(conn, ctx, actor_role, &row.citizen_pnr)?
                        .iter()
                        .any(|l| l.id == c.id) =>
            {
                Some(c.id)
            }
            _ => {
                e.add("related_case_id", "Välj invånarens tidigare låsning.");
                None
            }
        },
    };
    if row.kind == "unlock" && row.related_case_id.is_none() && !row.citizen_pnr.is_empty() {
        row.related_case_id = proposed_locks(conn, ctx, actor_role, &row.citizen_pnr)?
            .first()
            .map(|c| c.id);
    }
    Ok(e)
}

/// The units whose cases `role` lets the actor see: `None` is every unit (a handler, or the
/// intake API and jobs, which act for the region).
fn visible_units(ctx: &Ctx, role: Role) -> Option<Vec<i64>> {
    match ctx.principal.staff() {
        Some(a) if role != Role::Handler => Some(a.unit_ids()),
        _ => None,
    }
}

/// The locks an unlock may undo, as the actor may see them: the citizen's executed locks, newest
/// first — of the actor's own units, unless the actor acts as a handler. Another unit's lock is
/// never proposed nor accepted: that a citizen is locked is itself sensitive.
pub fn proposed_locks(
    conn: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    pnr: &str,
) -> Result<Vec<CaseRow>, ServiceError> {
    let units = visible_units(ctx, role);
    Ok(cases::executed_locks_of(conn, pnr, units.as_deref(), 50)?)
}

/// The mandatory fields still missing (for signing and submitting).
pub fn missing_fields(row: &CaseRow) -> FieldErrors {
    let mut e = FieldErrors::default();
    let req = crate::messages::REQUIRED;
    if row.citizen_pnr.len() != 12 {
        e.add("citizen_pnr", req);
    }
    if row.citizen_name.is_empty() {
        e.add("citizen_name", req);
    }
    if row.kind == "lock" {
        if row.risk_kinds.is_empty() {
            e.add(
                "risk_kinds",
                "Ange vad patienten riskerar: skada, men eller hot.",
            );
        }
        if row.basis.is_empty() {
            e.add("basis", "Ange vad bedömningen grundar sig på.");
        }
        if row.situations.is_empty() {
            e.add("situations", "Ange minst en situation.");
        }
        if grounds::split(&row.situations).iter().any(|s| s == "other")
            && row.situation_other.is_empty()
        {
            e.add("situation_other", "Beskriv den andra situationen.");
        }
        if row.review_responsible_user_id.is_none() {
            e.add(
                "review_responsible_user_id",
                "Välj vem som ansvarar för omprövningen om tre månader.",
            );
        }
    } else if row.related_case_id.is_none() {
        e.add("related_case_id", "Välj den låsning som ska hävas.");
    }
    for (f, v) in [
        ("assessment_reasons", &row.assessment_reasons),
        ("assessment_risks", &row.assessment_risks),
        ("assessment_scope", &row.assessment_scope),
    ] {
        if v.is_empty() {
            e.add(f, req);
        }
    }
    if row.journal_note_date.is_none() {
        e.add(
            "journal_note_date",
            "Ange när bedömning, motiv och beslut journalfördes.",
        );
    }
    if row.chief_informed_date.is_none() {
        e.add("chief_informed_date", "Ange när chefläkaren informerades.");
    }
    if row.chief_informed_whom.is_empty() {
        e.add("chief_informed_whom", "Ange vem som informerades.");
    }
    match (
        row.patient_informed_date.is_some(),
        row.patient_not_informed_reason.is_empty(),
    ) {
        (false, true) => e.add(
            "patient_informed_date",
            "Ange när patienten informerades, eller varför patienten inte har informerats.",
        ),
        (true, false) => e.add(
            "patient_not_informed_reason",
            "Ange antingen datum eller skäl, inte båda.",
        ),
        _ => {}
    }
    e
}

fn facts(actor: &Actor, role: Role, row: &CaseRow, checks: &[CaseCheck]) -> Facts {
    let paper = row.channel == "paper";
    let done: Vec<&str> = checks.iter().map(|c| c.item.as_str()).collect();
    Facts {
        actor: actor_kind(role),
        actor_is_decider: actor.is_decider,
        signed: row.decider_user_id.is_some() || (paper && !row.decider_name.is_empty()),
        complete: missing_fields(row).is_empty(),
        checklist_done: grounds::applicable_checks(paper, row.care_provider_id.is_some())
            .iter()
            .all(|i| done.contains(i)),
    }
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
    let now = db::ts(ctx.now);
    if let Some((label, detail)) = timeline {
        let name = ctx.principal.timeline_name();
        cases::add_event(conn, row.id, now, ctx.user_id(), &name, label, detail)?;
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
    let recent: Vec<String> = events
        .iter()
        .rev()
        .take(3)
        .map(|ev| {
            format!(
                "{} {} – {}",
                ev.at
                    .and_utc()
                    .with_timezone(&Stockholm)
                    .format("%Y-%m-%d %H:%M"),
                ev.actor_name,
                ev.action
            )
        })
        .collect();
    Ok(ServiceError::Conflict(format!(
        "Ärendet har ändrats av någon annan sedan du öppnade det. Det har nu status ”{}”. Senaste händelser: {}. Inget av det du gjorde sparades; läs ärendet och gör om det som fortfarande behövs.",
        status_of(&row).map(|s| s.label()).unwrap_or(""),
        recent.join("; ")
    )))
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
                d.entry.detail = Some(format!("{attempted}; {}", refusal.code()));
            }
            Err(denial)
        }
    }
}

/// Applies a lifecycle action to a loaded case: checks the rule, runs `change`, saves with the
/// version check, and records the action.
/// One lifecycle step as requested: the action, the version the user saw, a timeline note.
struct Step<'a> {
    action: Action,
    version: i32,
    detail: &'a str,
}

fn act(
    conn: &mut DbConnection,
    ctx: &Ctx,
    mut row: CaseRow,
    role: Role,
    step: Step<'_>,
    change: impl FnOnce(&mut DbConnection, &mut CaseRow) -> Result<(), ServiceError>,
) -> Result<CaseRow, ServiceError> {
    let Step {
        action,
        version: expected_version,
        detail,
    } = step;
    if row.version != expected_version {
        return Err(conflict(conn, row.id)?);
    }
    let actor = ctx.actor()?;
    let checks = cases::checks(conn, row.id)?;
    let from = status_of(&row)?;
    let to = case::transition(Some(from), action, facts(actor, role, &row, &checks)).map_err(
        |e| match e {
            // A step the role may not take at all (a clinician posting a handler's action) is
            // a refusal, logged; a step out of turn is a conflict the user can resolve.
            case::TransitionError::NotYours { .. } => ctx.denial(
                Access::HandleCases,
                Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ),
            other => ServiceError::Refused(other.message()),
        },
    )?;
    change(conn, &mut row)?;
    row.status = to.code().into();
    row.updated_at = db::ts(ctx.now);
    if !cases::save(conn, &row, expected_version)? {
        return Err(conflict(conn, row.id)?);
    }
    row.version = expected_version + 1;
    record(
        conn,
        ctx,
        &row,
        Some(role),
        &format!("case_{}", action.code()),
        Some((action.label(), detail)),
    )?;
    Ok(row)
}

pub(crate) fn blank_row(ctx: &Ctx, kind: Kind, channel: &str) -> CaseRow {
    let now = db::ts(ctx.now);
    CaseRow {
        id: 0,
        kind: kind.code().into(),
        status: Status::Draft.code().into(),
        version: 1,
        channel: channel.into(),
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
        requested_by: "staff".into(),
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

/// "Ny begäran": saves a draft (format errors refuse it; missing fields do not).
pub fn create_draft(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CaseInput,
) -> Result<i64, ServiceError> {
    let actor = ctx.actor()?;
    let role = creating_role(ctx, actor)?;
    let kind = input.kind.parse::<Kind>().unwrap_or(Kind::Lock);
    case::transition(
        None,
        Action::Create,
        Facts {
            actor: actor_kind(role),
            actor_is_decider: actor.is_decider,
            signed: false,
            complete: false,
            checklist_done: false,
        },
    )
    .map_err(|e| ServiceError::Refused(e.message()))?;
    db::write_tx(conn, |c| {
        let mut row = blank_row(ctx, kind, "eservice");
        let errors = apply_input(c, ctx, role, &mut row, input)?;
        errors.into_result()?;
        let id = cases::insert(c, &row)?;
        row.id = id;
        record(
            c,
            ctx,
            &row,
            Some(role),
            "case_create",
            Some((Action::Create.label(), "")),
        )?;
        Ok(id)
    })
}

/// Saves changes to a draft or returned case. Any change removes an earlier signature: the
/// decider signs what is finally sent.
pub fn update_draft(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &CaseInput,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "edit", |c, row, role| {
        let mut staged = row.clone();
        let errors = apply_input(c, ctx, role, &mut staged, input)?;
        errors.into_result()?;
        let unsign = staged.decider_user_id.is_some();
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Edit,
                version: input.version,
                detail: if unsign {
                    "Signaturen togs bort eftersom uppgifterna ändrades."
                } else {
                    ""
                },
            },
            |_, r| {
                let keep = (
                    r.id,
                    r.status.clone(),
                    r.version,
                    r.diary_number.clone(),
                    r.created_at,
                    r.channel.clone(),
                );
                *r = staged;
                (
                    r.id,
                    r.status,
                    r.version,
                    r.diary_number,
                    r.created_at,
                    r.channel,
                ) = keep;
                r.decider_user_id = None;
                r.decider_name.clear();
                r.decider_role.clear();
                r.decider_hsa_id.clear();
                r.decided_on = None;
                Ok(())
            },
        )
        .map(|_| ())
    })
}

/// The decider signs the decision (their name, role, HSA-ID and today's date).
pub fn sign(conn: &mut DbConnection, ctx: &Ctx, id: i64, version: i32) -> Result<(), ServiceError> {
    let actor = ctx.actor()?.clone();
    let today = swedish_today(ctx);
    with_case(conn, ctx, id, "sign", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Sign,
                version,
                detail: "",
            },
            |_, r| {
                r.decider_user_id = Some(actor.user_id);
                r.decider_name = actor.name.clone();
                r.decider_hsa_id = actor.hsa_id.clone();
                r.decider_role = if actor.has(Role::Manager) {
                    "Verksamhetschef".into()
                } else {
                    "Legitimerad hälso- och sjukvårdspersonal med behandlingsansvar".into()
                };
                r.decided_on = Some(today);
                Ok(())
            },
        )
        .map(|_| ())
    })
}

/// Submits (or resubmits a returned case): the certified form reaches Spärr- och loggservice.
pub fn submit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "submit", |c, row, role| {
        let action = if row.status == "returned" {
            Action::Resubmit
        } else {
            Action::Submit
        };
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action,
                version,
                detail: "",
            },
            |_, r| {
                r.submitted_at = Some(db::ts(ctx.now));
                r.return_reason.clear();
                Ok(())
            },
        )
        .map(|_| ())
    })
}

pub fn receive(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "receive", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Receive,
                version,
                detail: "",
            },
            |_, _| Ok(()),
        )
        .map(|_| ())
    })
}

/// Records one checklist item as done (who and when), with an optional note.
pub fn check_item(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    item: &str,
    note: &str,
) -> Result<(), ServiceError> {
    let actor = ctx.actor()?.clone();
    let label = grounds::label(grounds::CHECKS, item);
    if label.is_empty() {
        return Err(ServiceError::NotFound);
    }
    let mut e = FieldErrors::default();
    let note = text_field(&mut e, "note", note, SHORT_MAX, false);
    if item == "identity_by_phone" && note.is_empty() {
        e.add("note", "Ange vem du ringde och när.");
    }
    e.into_result()?;
    with_case(conn, ctx, id, "check", |c, row, role| {
        if role != Role::Handler {
            return Err(ctx.denial(
                Access::HandleCases,
                Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ));
        }
        if row.status != "received" {
            return Err(ServiceError::Refused(
                "Kontrollpunkter bockas av när ärendet är mottaget.".into(),
            ));
        }
        if row.version != version {
            return Err(conflict(c, id)?);
        }
        cases::set_check(
            c,
            id,
            item,
            actor.user_id,
            &actor.name,
            db::ts(ctx.now),
            &note,
        )?;
        let detail = if note.is_empty() {
            label.to_string()
        } else {
            format!("{label}: {note}")
        };
        record(
            c,
            ctx,
            &row,
            Some(role),
            "case_check",
            Some(("Kontrollpunkt klar", &detail)),
        )
    })
}

pub fn return_case(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    reason: &str,
) -> Result<(), ServiceError> {
    let mut e = FieldErrors::default();
    let reason = text_field(&mut e, "reason", reason, TEXT_MAX, true);
    e.into_result()?;
    with_case(conn, ctx, id, "return", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Return,
                version,
                detail: &reason,
            },
            |_, r| {
                r.return_reason = reason.clone();
                Ok(())
            },
        )
        .map(|_| ())
    })
}

pub fn verify(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "verify", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Verify,
                version,
                detail: "",
            },
            |_, _| Ok(()),
        )
        .map(|_| ())
    })
}

/// Gives the case the next diary number of the Swedish year, in the caller's transaction.
fn assign_diary_number(
    conn: &mut DbConnection,
    ctx: &Ctx,
    prefix: &str,
    row: &mut CaseRow,
) -> Result<String, ServiceError> {
    if let Some(n) = &row.diary_number {
        return Ok(n.clone()); // set once
    }
    use chrono::Datelike;
    let year = swedish_today(ctx).year();
    let seq = cases::next_diary_seq(conn, year)?;
    let number = DiaryNumber::new(prefix, year, seq).to_string();
    row.diary_year = Some(year);
    row.diary_seq = Some(seq);
    row.diary_number = Some(number.clone());
    Ok(number)
}

/// Settings the workflow needs from the configuration.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub diary_prefix: String,
    pub mail_from: String,
    pub public_url: String,
}

impl Workflow {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Workflow {
            diary_prefix: c.diary_prefix.clone(),
            mail_from: c.smtp_from.clone(),
            public_url: c.public_url(),
        }
    }
}

/// External references typed by the handler at execution.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ExecuteInput {
    #[serde(default)]
    pub helpdesk_ref: String,
    #[serde(default)]
    pub plexus_ref: String,
    #[serde(default)]
    pub version: i32,
}

/// "Verkställd i 1177 e-tjänster personalverktyg" (checklist 8) and the diary number (9); for an
/// unlock the timeline names the earlier case's number.
pub fn execute(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &ExecuteInput,
    wf: &Workflow,
) -> Result<String, ServiceError> {
    let mut e = FieldErrors::default();
    let helpdesk = text_field(
        &mut e,
        "helpdesk_ref",
        &input.helpdesk_ref,
        SHORT_MAX,
        false,
    );
    let plexus = text_field(&mut e, "plexus_ref", &input.plexus_ref, SHORT_MAX, false);
    e.into_result()?;
    let actor_id = ctx.actor()?.user_id;
    with_case(conn, ctx, id, "execute", |c, row, role| {
        let related = match row.related_case_id {
            Some(rid) => cases::get(c, rid)?.and_then(|r| r.diary_number),
            None => None,
        };
        let mut number = String::new();
        let detail_ref = related
            .as_ref()
            .map(|n| format!(" Hänvisning till tidigare ärende {n}."))
            .unwrap_or_default();
        let row = act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Execute,
                version: input.version,
                detail: "",
            },
            |c, r| {
                number = assign_diary_number(c, ctx, &wf.diary_prefix, r)?;
                r.executed_at = Some(db::ts(ctx.now));
                r.executed_by_user_id = Some(actor_id);
                if r.kind == Kind::Lock.code() {
                    r.review_due = Some(crate::domain::review::review_due(ctx.now));
                }
                r.helpdesk_ref = helpdesk.clone();
                r.plexus_ref = plexus.clone();
                Ok(())
            },
        )?;
        let detail = format!("Diarienummer {number}.{detail_ref}");
        cases::add_event(
            c,
            row.id,
            db::ts(ctx.now),
            Some(actor_id),
            &ctx.actor()?.name,
            "Registrerade diarienummer",
            &detail,
        )?;
        // An executed unlock ends the lock's review cycle.
        if let (Some(rid), true) = (row.related_case_id, row.kind == Kind::Unlock.code()) {
            cases::set_review_due(c, rid, None)?;
        }
        super::feedback::enqueue(c, ctx, &row, wf)?;
        Ok(number)
    })
}

pub fn withdraw(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    reason: &str,
) -> Result<(), ServiceError> {
    let mut e = FieldErrors::default();
    let reason = text_field(&mut e, "reason", reason, TEXT_MAX, true);
    e.into_result()?;
    with_case(conn, ctx, id, "withdraw", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Withdraw,
                version,
                detail: &reason,
            },
            |_, r| {
                r.withdraw_reason = reason.clone();
                Ok(())
            },
        )
        .map(|_| ())
    })
}

/// Everything the case page shows.
pub struct CaseView {
    pub case: CaseRow,
    pub role: Role,
    pub unit: Option<Unit>,
    pub provider: Option<CareProvider>,
    pub events: Vec<CaseEvent>,
    pub checks: Vec<CaseCheck>,
    /// The citizen's other cases (for handlers: checklist item 4 shown by itself).
    pub earlier: Vec<CaseRow>,
    pub register: Option<RegisterPerson>,
    pub related_diary_number: Option<String>,
    pub review_responsible: Option<User>,
    pub missing: FieldErrors,
    pub applicable_checks: Vec<&'static str>,
    pub name_revealed: bool,
    pub attachments: Vec<crate::db::attachments::Attachment>,
    pub deliveries: Vec<crate::db::outbox::Delivery>,
}

/// Opens a case; the view (with the personnummer) is written to the access log in the same
/// transaction. `reveal` shows a protected citizen's name, as its own logged action.
pub fn view(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    register: &dyn PopulationRegister,
    reveal: bool,
) -> Result<CaseView, ServiceError> {
    with_case(
        conn,
        ctx,
        id,
        if reveal { "reveal_name" } else { "view" },
        |c, row, role| {
            let unit = org::unit(c, row.unit_id)?;
            let provider = match row.care_provider_id {
                Some(p) => org::provider(c, p)?,
                None => None,
            };
            let events = cases::events(c, id)?;
            let checks = cases::checks(c, id)?;
            let handler = role == Role::Handler;
            let earlier = if handler {
                cases::for_citizen(c, &row.citizen_pnr, 50)?
                    .into_iter()
                    .filter(|x| x.id != id)
                    .collect()
            } else {
                vec![]
            };
            let pnr = Personnummer::parse(&row.citizen_pnr, swedish_today(ctx)).ok();
            let register_person = if handler {
                pnr.as_ref().and_then(|p| register.lookup(p))
            } else {
                None
            };
            let related_diary_number = match row.related_case_id {
                Some(r) => cases::get(c, r)?.and_then(|x| x.diary_number),
                None => None,
            };
            let review_responsible = match row.review_responsible_user_id {
                Some(u) => users::by_id(c, u)?,
                None => None,
            };
            let protected =
                row.citizen_protected || register_person.as_ref().is_some_and(|p| p.protected);
            if protected && !row.citizen_protected {
                // The register knows better than the form: from now on the citizen is masked
                // everywhere (lists, print, exports), for every reader.
                cases::set_protected(c, id)?;
                cases::add_event(
                    c,
                    id,
                    db::ts(ctx.now),
                    None,
                    "Folkbokföringen",
                    "Invånaren har skyddade personuppgifter enligt folkbokföringen; namnet maskeras",
                    "",
                )?;
            }
            let name_revealed = reveal && protected;
            record(
                c,
                ctx,
                &row,
                Some(role),
                if name_revealed {
                    "case_reveal_name"
                } else {
                    "case_view"
                },
                None,
            )?;
            if name_revealed {
                cases::add_event(
                    c,
                    id,
                    db::ts(ctx.now),
                    ctx.user_id(),
                    &ctx.actor()?.name,
                    "Visade namnet på en invånare med skyddade personuppgifter",
                    "",
                )?;
            }
            let mut case = row;
            // The register's protected flag masks the citizen as well.
            case.citizen_protected = protected;
            Ok(CaseView {
                missing: missing_fields(&case),
                applicable_checks: grounds::applicable_checks(
                    case.channel == "paper",
                    case.care_provider_id.is_some(),
                ),
                case,
                role,
                unit,
                provider,
                events: if name_revealed {
                    cases::events(c, id)?
                } else {
                    events
                },
                checks,
                earlier,
                register: register_person,
                related_diary_number,
                review_responsible,
                name_revealed,
                attachments: crate::db::attachments::for_case(c, id)?,
                deliveries: crate::db::outbox::for_case(c, id)?,
            })
        },
    )
}

/// The cases a user may list: their units' (handlers: all), newest change first.
pub fn list(
    conn: &mut DbConnection,
    ctx: &Ctx,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CaseRow>, i64), ServiceError> {
    let actor = ctx.actor()?;
    let units: Option<Vec<i64>> = match ctx.require(Access::ListCases)? {
        Role::Handler => None,
        _ => Some(actor.unit_ids()),
    };
    let status = status.filter(|s| s.parse::<Status>().is_ok());
    Ok(cases::page_for_units(
        conn,
        units.as_deref(),
        status,
        limit,
        offset,
    )?)
}

/// The handler's intake queue: new and resubmitted cases, received ones being worked on, and
/// emergency locks waiting for their form; oldest first.
pub fn queue(
    conn: &mut DbConnection,
    ctx: &Ctx,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CaseRow>, i64), ServiceError> {
    ctx.require(Access::HandleCases)?;
    Ok(cases::queue(
        conn,
        &["submitted", "received", "verified", "form_pending"],
        limit,
        offset,
    )?)
}

/// Searching a personnummer (a logged read of the citizen's data). Handlers only.
pub fn search_citizen(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &str,
) -> Result<(String, Vec<CaseRow>), ServiceError> {
    ctx.require(Access::HandleCases)?;
    let pnr = Personnummer::parse(input, swedish_today(ctx)).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.add("pnr", crate::messages::personnummer(e));
        ServiceError::Invalid(errors)
    })?;
    db::write_tx(conn, |c| {
        let rows = cases::for_citizen(c, &pnr.digits(), 200)?;
        let mut e = ctx.entry(Some(Role::Handler), "citizen_search", None);
        e.personnummer = Some(pnr.digits());
        e.detail = Some(format!("{} ärenden", rows.len()));
        ctx.log(c, &e)?;
        Ok((pnr.canonical(), rows))
    })
}

/// Units and people for the case form.
pub struct FormChoices {
    pub units: Vec<Unit>,
    pub members: Vec<User>,
    pub providers: Vec<CareProvider>,
    pub locks: Vec<CaseRow>,
}

pub fn form_choices(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit_id: Option<i64>,
    kind: &str,
    pnr: &str,
) -> Result<FormChoices, ServiceError> {
    let actor = ctx.actor()?;
    let role = creating_role(ctx, actor)?;
    let units: Vec<Unit> = if actor.has(Role::Handler) {
        org::all_units(conn)?
            .into_iter()
            .filter(|u| u.active)
            .collect()
    } else {
        let ids: Vec<i64> = actor.units.iter().map(|u| u.id).collect();
        org::all_units(conn)?
            .into_iter()
            .filter(|u| ids.contains(&u.id) && u.active)
            .collect()
    };
    let unit = unit_id.or_else(|| units.first().map(|u| u.id));
    let members = match unit {
        Some(u) => users::members_of(conn, u)?,
        None => vec![],
    };
    // The earlier locks an unlock may undo: only those the user may see, and looking them up for
    // a personnummer is a logged read of that citizen (even when none is found).
    let locks = match Personnummer::parse(pnr, swedish_today(ctx)) {
        Ok(p) if kind == "unlock" => {
            let digits = p.digits();
            let role = if actor.has(Role::Handler) {
                Role::Handler
            } else {
                role
            };
            db::write_tx(conn, |c| {
                let locks = proposed_locks(c, ctx, role, &digits)?;
                let mut e = ctx.entry(Some(role), "unlock_form_locks", None);
                e.personnummer = Some(digits.clone());
                e.detail = Some(format!("{} låsningar föreslogs", locks.len()));
                ctx.log(c, &e)?;
                Ok::<_, ServiceError>(locks)
            })?
        }
        _ => vec![],
    };
    Ok(FormChoices {
        units,
        members,
        providers: org::approved_providers(conn)?,
        locks,
    })
}

/// The diary (no citizen data): registered cases of one year by number.
pub fn diary(
    conn: &mut DbConnection,
    ctx: &Ctx,
    year: i32,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CaseRow>, i64), ServiceError> {
    ctx.require(Access::Diary)?;
    Ok(cases::diary_page(conn, year, limit, offset)?)
}

/// The emergency phone (instruction 002 §6, "Vid ärende till nödtelefon").
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CallInput {
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub caller_phone: String,
    /// Where reminders about the missing form go.
    #[serde(default)]
    pub caller_email: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub citizen_pnr: String,
    #[serde(default)]
    pub citizen_name: String,
    #[serde(default)]
    pub citizen_protected: bool,
    #[serde(default)]
    pub requested_by: String,
    #[serde(default)]
    pub helpdesk_ref: String,
}

/// Registers an emergency call and records the lock as executed at once; the case then waits
/// for the written form (from the staff, or from the citizen when the citizen asked).
pub fn register_call(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CallInput,
    wf: &Workflow,
) -> Result<(i64, String), ServiceError> {
    ctx.require(Access::HandleCases)?;
    let actor = ctx.actor()?.clone();
    let facts = Facts {
        actor: ActorKind::Handler,
        actor_is_decider: actor.is_decider,
        signed: false,
        complete: false,
        checklist_done: false,
    };
    let to = case::transition(None, Action::RegisterCall, facts)
        .map_err(|e| ServiceError::Refused(e.message()))?;
    let today = swedish_today(ctx);
    let mut e = FieldErrors::default();
    let caller_name = text_field(&mut e, "caller_name", &input.caller_name, SHORT_MAX, true);
    let caller_phone = text_field(&mut e, "caller_phone", &input.caller_phone, 40, true);
    let caller_email = text_field(&mut e, "caller_email", &input.caller_email, 254, true);
    if !caller_email.is_empty() && !crate::domain::validate::email(&caller_email) {
        e.add("caller_email", crate::messages::EMAIL_INVALID);
    }
    let citizen_name = text_field(&mut e, "citizen_name", &input.citizen_name, SHORT_MAX, true);
    let helpdesk = text_field(
        &mut e,
        "helpdesk_ref",
        &input.helpdesk_ref,
        SHORT_MAX,
        false,
    );
    let pnr = match Personnummer::parse(&input.citizen_pnr, today) {
        Ok(p) => Some(p),
        Err(err) => {
            e.add("citizen_pnr", crate::messages::personnummer(err));
            None
        }
    };
    let requested_by = match input.requested_by.as_str() {
        "staff" | "citizen" => input.requested_by.clone(),
        _ => {
            e.add("requested_by", "Ange vem som begärde låsningen.");
            String::new()
        }
    };
    db::write_tx(conn, |c| {
        let unit = input
            .unit_id
            .trim()
            .parse::<i64>()
            .ok()
            .map(|id| org::unit(c, id))
            .transpose()?
            .flatten();
        if unit.as_ref().is_none_or(|u| !u.active) {
            e.add("unit_id", "Välj den enhet som ringde.");
        }
        e.clone().into_result()?;
        let (Some(unit), Some(pnr)) = (unit, pnr.clone()) else {
            return Err(ServiceError::Invalid(e.clone()));
        };
        let mut row = blank_row(ctx, Kind::Lock, "emergency");
        row.status = to.code().into();
        row.unit_id = unit.id;
        row.citizen_pnr = pnr.digits();
        row.citizen_name = citizen_name.clone();
        row.citizen_protected = input.citizen_protected;
        row.requested_by = requested_by.clone();
        row.caller_name = caller_name.clone();
        row.caller_phone = caller_phone.clone();
        row.caller_email = caller_email.clone();
        row.helpdesk_ref = helpdesk.clone();
        row.executed_at = Some(db::ts(ctx.now));
        row.executed_by_user_id = Some(actor.user_id);
        row.review_due = Some(crate::domain::review::review_due(ctx.now));
        row.submitted_at = Some(db::ts(ctx.now));
        let number = assign_diary_number(c, ctx, &wf.diary_prefix, &mut row)?;
        let id = cases::insert(c, &row)?;
        row.id = id;
        let from = if requested_by == "citizen" {
            "invånaren (på invånarens uppdrag)"
        } else {
            "personalen"
        };
        let detail = format!(
            "Samtal från {caller_name}, {caller_phone}. Blanketten skickas i efterhand av {from}. Diarienummer {number}."
        );
        record(
            c,
            ctx,
            &row,
            Some(Role::Handler),
            "case_register_call",
            Some((Action::RegisterCall.label(), &detail)),
        )?;
        super::feedback::enqueue(c, ctx, &row, wf)?;
        Ok((id, number))
    })
}

/// Links the written form that arrived after an emergency lock; its data is keyed in.
pub fn link_form(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &CaseInput,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "link_form", |c, row, role| {
        let mut staged = row.clone();
        let errors = apply_input(c, ctx, role, &mut staged, input)?;
        let mut errors = errors;
        if staged.arrival_date.is_none() {
            errors.add(
                "arrival_date",
                "Ange blankettens ankomstdatum (ankomststämpeln).",
            );
        }
        errors.into_result()?;
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::LinkForm,
                version: input.version,
                detail: "",
            },
            |_, r| {
                let keep = (
                    r.id,
                    r.status.clone(),
                    r.version,
                    r.diary_number.clone(),
                    r.created_at,
                    r.channel.clone(),
                    r.executed_at,
                    r.caller_name.clone(),
                    r.caller_phone.clone(),
                    r.helpdesk_ref.clone(),
                );
                *r = staged;
                (
                    r.id,
                    r.status,
                    r.version,
                    r.diary_number,
                    r.created_at,
                    r.channel,
                    r.executed_at,
                    r.caller_name,
                    r.caller_phone,
                    r.helpdesk_ref,
                ) = keep;
                r.form_linked_at = Some(db::ts(ctx.now));
                r.decider_name = input.decider_name.trim().chars().take(SHORT_MAX).collect();
                r.decider_hsa_id = input.decider_hsa_id.trim().chars().take(40).collect();
                r.decider_role = input.decider_role.trim().chars().take(SHORT_MAX).collect();
                r.decided_on = NaiveDate::parse_from_str(input.decided_on.trim(), "%Y-%m-%d").ok();
                Ok(())
            },
        )
        .map(|_| ())
    })
}

/// A paper form that came by internal mail: the handler keys it in with its arrival stamp; it
/// is then received (checklist item 1 done) and goes through the same checks as any case.
pub fn register_paper(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CaseInput,
) -> Result<i64, ServiceError> {
    ctx.require(Access::HandleCases)?;
    let actor = ctx.actor()?.clone();
    let kind = input.kind.parse::<Kind>().unwrap_or(Kind::Lock);
    db::write_tx(conn, |c| {
        let mut row = blank_row(ctx, kind, "paper");
        let mut e = apply_input(c, ctx, Role::Handler, &mut row, input)?;
        let today = swedish_today(ctx);
        row.decider_name = text_field(&mut e, "decider_name", &input.decider_name, SHORT_MAX, true);
        row.decider_role = text_field(&mut e, "decider_role", &input.decider_role, SHORT_MAX, true);
        row.decider_hsa_id = input.decider_hsa_id.trim().chars().take(40).collect();
        row.decided_on = parse_date(&mut e, "decided_on", &input.decided_on, today);
        if row.decided_on.is_none() {
            e.add("decided_on", "Ange beslutsdatum från blanketten.");
        }
        if row.arrival_date.is_none() {
            e.add("arrival_date", "Ange datumet på ankomststämpeln.");
        }
        for (f, m) in missing_fields(&row).0 {
            e.add(f, m);
        }
        e.into_result()?;
        let h = Facts {
            actor: ActorKind::Handler,
            actor_is_decider: false,
            signed: true,
            complete: true,
            checklist_done: false,
        };
        let mut s = case::transition(None, Action::Create, h)
            .map_err(|e| ServiceError::Refused(e.message()))?;
        for a in [Action::Submit, Action::Receive] {
            s = case::transition(Some(s), a, h).map_err(|e| ServiceError::Refused(e.message()))?;
        }
        row.status = s.code().into();
        row.submitted_at = Some(db::ts(ctx.now));
        let id = cases::insert(c, &row)?;
        row.id = id;
        let arrival = row.arrival_date.map(|d| d.to_string()).unwrap_or_default();
        cases::set_check(
            c,
            id,
            "arrival_stamped",
            actor.user_id,
            &actor.name,
            db::ts(ctx.now),
            &format!("Ankomststämplad {arrival}"),
        )?;
        record(
            c,
            ctx,
            &row,
            Some(Role::Handler),
            "case_register_paper",
            Some((
                "Registrerade pappersblankett",
                &format!("Ankomststämpel {arrival}."),
            )),
        )?;
        Ok(id)
    })
}
