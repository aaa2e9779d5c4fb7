//! The three-month review and chasing missing forms (instruction 002 §4.2, §6 nödtelefon, §9):
//! reminders that survive restarts and go out once, and the review decision itself.

use super::cases::{CaseInput, Workflow, swedish_today, with_case};
use super::{Ctx, FieldErrors, ServiceError, text_field};
use crate::db::models::CaseRow;
use crate::db::outbox::{self, NewMessage};
use crate::db::reminders::{self, NewReview};
use crate::db::{self, DbConnection, cases, org, users};
use crate::domain::review::{self, ReviewState};
use crate::domain::{Personnummer, Role};
use crate::mail::message;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The first reminder this many days before the due date.
    pub before_days: i64,
    /// Overdue this many days: the chefläkare function is told too.
    pub escalate_after_days: i64,
    /// A missing form is chased every this many days.
    pub form_every_days: i64,
    /// Office hours (Swedish time, weekdays): reminders go out from `office_start` to `office_end`.
    pub office_start: u32,
    pub office_end: u32,
}

impl Policy {
    pub fn from_config(c: &crate::config::Config) -> Policy {
        Policy {
            before_days: c.review_remind_before_days,
            escalate_after_days: c.review_escalate_after_days,
            form_every_days: c.form_reminder_every_days,
            office_start: c.office_hours_start,
            office_end: c.office_hours_end,
        }
    }
}

const BATCH: i64 = 500;
pub const KIND: &str = "reminder";

fn recipients(
    c: &mut DbConnection,
    row: &CaseRow,
    escalate: bool,
) -> Result<Vec<String>, ServiceError> {
    let mut out = Vec::new();
    if let Some(uid) = row.review_responsible_user_id
        && let Some(u) = users::by_id(c, uid)?.filter(|u| u.active)
    {
        out.push(u.email);
    }
    let unit = org::unit(c, row.unit_id)?;
    if let Some(m) = unit.as_ref().and_then(|u| u.manager_user_id)
        && let Some(u) = users::by_id(c, m)?.filter(|u| u.active)
    {
        out.push(u.email);
    }
    if escalate && let Some(u) = &unit {
        out.push(u.chief_physician_email.clone());
    }
    out.retain(|e| crate::domain::validate::email(e));
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a reminder says (no personal data).
struct Notice<'a> {
    subject: &'a str,
    lines: &'a [String],
    link: &'a str,
}

fn enqueue(
    c: &mut DbConnection,
    ctx: &Ctx,
    wf: &Workflow,
    row: &CaseRow,
    to: &[String],
    n: Notice<'_>,
) -> Result<(), ServiceError> {
    let Notice {
        subject,
        lines,
        link,
    } = n;
    let now = db::ts(ctx.now);
    if to.is_empty() {
        outbox::insert(
            c,
            &NewMessage {
                kind: KIND,
                case_id: Some(row.id),
                unit_id: Some(row.unit_id),
                recipient: "",
                encrypted: false,
                message: b"",
                status: "failed",
                last_error: "Påminnelsen har ingen mottagare: ansvarig och verksamhetschef saknas eller saknar e-post.",
            },
            now,
        )?;
        return Ok(());
    }
    for addr in to {
        let built = message::reminder(&wf.mail_from, addr, subject, lines, link)
            .map_err(|e| ServiceError::Refused(e.to_string()))?;
        outbox::insert(
            c,
            &NewMessage {
                kind: KIND,
                case_id: Some(row.id),
                unit_id: Some(row.unit_id),
                recipient: addr,
                encrypted: false,
                message: &built,
                status: "pending",
                last_error: "",
            },
            now,
        )?;
    }
    Ok(())
}

/// One pass of the reminder job: every reminder that is due by now and not yet sent is written
/// to the outbox once (the `reminders` row and the messages in one transaction). Runs only in
/// office hours; a pass after downtime catches up with what fell due meanwhile, sending only the
/// newest reminder of each series. Returns how many reminders were written.
pub fn run_due(
    conn: &mut DbConnection,
    now: chrono::DateTime<chrono::Utc>,
    p: Policy,
    wf: &Workflow,
) -> Result<usize, ServiceError> {
    if !review::in_office_hours(now, p.office_start, p.office_end) {
        return Ok(0);
    }
    let ctx = Ctx {
        now,
        client_addr: "påminnelser".into(),
        principal: super::Principal::Job(super::Job::Reminders),
    };
    let today = review::swedish_date(now);
    let mut written = 0;
    let mut after = 0;
    loop {
        let batch = cases::reviews_due_by(conn, today + review::days(p.before_days), after, BATCH)?;
        let n = batch.len();
        for row in batch {
            after = row.id;
            let Some(due) = row.review_due else { continue };
            let Some(key) = review::review_reminder_key(due, today, p.before_days) else {
                continue;
            };
            let overdue = (today - due).num_days();
            let escalate = overdue >= p.escalate_after_days;
            let key = format!("review-{key}");
            let sent = db::write_tx(conn, |c| -> Result<bool, ServiceError> {
                if !reminders::record_once(c, row.id, &key, db::ts(now))? {
                    return Ok(false);
                }
                let to = recipients(c, &row, escalate)?;
                let when = match review::review_state(due, today, p.before_days) {
                    ReviewState::Overdue => {
                        format!("Omprövningen skulle ha gjorts {due} och är försenad.")
                    }
                    ReviewState::Due => "Omprövningen ska göras i dag.".to_string(),
                    _ => format!("Omprövningen ska göras senast {due}."),
                };
                let lines = vec![
                    "En invånares inloggning på 1177.se är låst på begäran av er enhet och ska omprövas: behövs låsningen fortfarande?".to_string(),
                    when,
                    "Logga in i Kontospärr och öppna Omprövningar.".to_string(),
                ];
                let subject = if escalate {
                    "Försenad omprövning av låst inloggning på 1177.se"
                } else {
                    "Påminnelse: omprövning av låst inloggning på 1177.se"
                };
                enqueue(
                    c,
                    &ctx,
                    wf,
                    &row,
                    &to,
                    Notice {
                        subject,
                        lines: &lines,
                        link: &format!("{}/arenden/{}/omprovning", wf.public_url, row.id),
                    },
                )?;
                cases::add_event(
                    c,
                    row.id,
                    db::ts(now),
                    None,
                    "Kontospärr",
                    "Påminnelse om omprövning skickad",
                    &format!(
                        "{} mottagare{}",
                        to.len(),
                        if escalate {
                            ", även chefläkarfunktionen"
                        } else {
                            ""
                        }
                    ),
                )?;
                let mut e = ctx.entry(None, "review_reminder", Some(format!("case:{}", row.id)));
                e.detail = Some(key.clone());
                ctx.log(c, &e)?;
                Ok(true)
            })?;
            written += usize::from(sent);
        }
        if (n as i64) < BATCH {
            break;
        }
    }
    let mut after = 0;
    loop {
        let batch = cases::waiting_for_form(conn, after, BATCH)?;
        let n = batch.len();
        for row in batch {
            after = row.id;
            let Some(executed) = row.executed_at else {
                continue;
            };
            let Some(key) = review::form_reminder_key(executed.and_utc(), now, p.form_every_days)
            else {
                continue;
            };
            let sent = db::write_tx(conn, |c| -> Result<bool, ServiceError> {
                if !reminders::record_once(c, row.id, &key, db::ts(now))? {
                    return Ok(false);
                }
                let mut to = vec![row.caller_email.clone()];
                to.extend(recipients(c, &row, false)?);
                to.retain(|e| crate::domain::validate::email(e));
                to.sort();
                to.dedup();
                let mut lines = vec![
                    "En invånares inloggning på 1177.se låstes efter ett samtal till KSD:s nödtelefon från er enhet. Den skriftliga blanketten har ännu inte kommit till Spärr- och loggservice.".to_string(),
                ];
                if row.requested_by == "citizen" {
                    lines.push("Låsningen gjordes på invånarens uppdrag: hjälp invånaren att skicka in blanketten.".to_string());
                } else {
                    lines.push("Skicka in blanketten så snart som möjligt.".to_string());
                }
                enqueue(
                    c,
                    &ctx,
                    wf,
                    &row,
                    &to,
                    Notice {
                        subject: "Påminnelse: blankett saknas efter låsning via nödtelefon",
                        lines: &lines,
                        link: &format!("{}/arenden/{}", wf.public_url, row.id),
                    },
                )?;
                cases::add_event(
                    c,
                    row.id,
                    db::ts(now),
                    None,
                    "Kontospärr",
                    "Påminnelse om saknad blankett skickad",
                    &format!("{} mottagare", to.len()),
                )?;
                let mut e = ctx.entry(None, "form_reminder", Some(format!("case:{}", row.id)));
                e.detail = Some(key.clone());
                ctx.log(c, &e)?;
                Ok(true)
            })?;
            written += usize::from(sent);
        }
        if (n as i64) < BATCH {
            break;
        }
    }
    Ok(written)
}

/// The review decision as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReviewInput {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub patient_informed_date: String,
    #[serde(default)]
    pub patient_not_informed_reason: String,
    #[serde(default)]
    pub note: String,
}

pub enum Reviewed {
    /// Kept locked; the next review date.
    Kept(chrono::NaiveDate),
    /// An unlock draft was opened (its id).
    Unlock(i64),
}

/// Records the review of a lock: keep it (next review three months on) or open a pre-filled
/// unlock that references it. Whether the patient was informed is recorded.
pub fn review(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &ReviewInput,
) -> Result<Reviewed, ServiceError> {
    let actor = ctx.actor()?.clone();
    let today = swedish_today(ctx);
    let mut e = FieldErrors::default();
    if input.outcome != "keep" && input.outcome != "unlock" {
        e.add(
            "outcome",
            "Välj om inloggningen ska förbli låst eller låsas upp.",
        );
    }
    let informed = match input.patient_informed_date.trim() {
        "" => None,
        s => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d <= today => Some(d),
            _ => {
                e.add(
                    "patient_informed_date",
                    "Skriv datum som ÅÅÅÅ-MM-DD (i dag eller tidigare).",
                );
                None
            }
        },
    };
    let reason = input.patient_not_informed_reason.trim();
    if informed.is_none()
        && !crate::domain::grounds::is_choice(crate::domain::grounds::NOT_INFORMED, reason)
        && e.get("patient_informed_date").is_none()
    {
        e.add(
            "patient_informed_date",
            "Ange när patienten informerades, eller varför patienten inte har informerats.",
        );
    }
    let note = text_field(&mut e, "note", &input.note, 4000, false);
    e.into_result()?;
    with_case(conn, ctx, id, "review", |c, row, role| {
        if !matches!(role, Role::Clinician | Role::Manager) {
            return Err(ctx.denial(
                super::Access::Review {
                    unit_id: row.unit_id,
                },
                super::Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ));
        }
        if row.kind != "lock"
            || !matches!(row.status.as_str(), "executed" | "closed" | "form_pending")
        {
            return Err(ServiceError::Refused(
                "Bara en verkställd låsning omprövas.".into(),
            ));
        }
        let now = db::ts(ctx.now);
        let informed_text = match informed {
            Some(d) => format!("Patienten informerad {d}."),
            None => format!(
                "Patienten inte informerad: {}.",
                crate::domain::grounds::label(crate::domain::grounds::NOT_INFORMED, reason)
            ),
        };
        if input.outcome == "keep" {
            let next = review::next_review(today);
            reminders::insert_review(
                c,
                &NewReview {
                    case_id: id,
                    decided_at: now,
                    user_id: actor.user_id,
                    outcome: "keep",
                    patient_informed_date: informed,
                    patient_not_informed_reason: reason,
                    note: &note,
                    next_review: Some(next),
                },
            )?;
            cases::set_review_due(c, id, Some(next))?;
            cases::add_event(
                c,
                id,
                now,
                Some(actor.user_id),
                &actor.name,
                "Omprövade: inloggningen förblir låst",
                &format!("Nästa omprövning {next}. {informed_text}"),
            )?;
            let mut e = ctx.entry(Some(role), "case_review_keep", Some(format!("case:{id}")));
            e.personnummer = Some(row.citizen_pnr.clone());
            ctx.log(c, &e)?;
            return Ok(Reviewed::Kept(next));
        }
        reminders::insert_review(
            c,
            &NewReview {
                case_id: id,
                decided_at: now,
                user_id: actor.user_id,
                outcome: "unlock",
                patient_informed_date: informed,
                patient_not_informed_reason: reason,
                note: &note,
                next_review: None,
            },
        )?;
        let input = CaseInput {
            kind: "unlock".into(),
            unit_id: row.unit_id.to_string(),
            citizen_pnr: Personnummer::parse(&row.citizen_pnr, today)
                .map(|p| p.canonical())
                .unwrap_or_default(),
            citizen_name: row.citizen_name.clone(),
            citizen_protected: row.citizen_protected,
            citizen_contact: row.citizen_contact.clone(),
            requested_by: "staff".into(),
            patient_informed_date: informed.map(|d| d.to_string()).unwrap_or_default(),
            patient_not_informed_reason: if informed.is_none() {
                reason.to_string()
            } else {
                String::new()
            },
            care_provider: row
                .care_provider_id
                .map(|p| p.to_string())
                .unwrap_or_else(|| "region".into()),
            related_case_id: id.to_string(),
            version: 1,
            ..Default::default()
        };
        let mut draft = super::cases::blank_row(ctx, crate::domain::case::Kind::Unlock, "eservice");
        let errors = super::cases::apply_input(c, ctx, role, &mut draft, &input)?;
        errors.into_result()?;
        let new_id = cases::insert(c, &draft)?;
        draft.id = new_id;
        super::cases::record(
            c,
            ctx,
            &draft,
            Some(role),
            "case_create",
            Some((
                "Skapade upplåsning efter omprövning",
                &format!("Omprövning av ärende nr {id}."),
            )),
        )?;
        cases::add_event(
            c,
            id,
            now,
            Some(actor.user_id),
            &actor.name,
            "Omprövade: inloggningen ska låsas upp",
            &format!("Upplåsning påbörjad (ärende nr {new_id}). {informed_text}"),
        )?;
        let mut e = ctx.entry(Some(role), "case_review_unlock", Some(format!("case:{id}")));
        e.personnummer = Some(row.citizen_pnr.clone());
        ctx.log(c, &e)?;
        Ok(Reviewed::Unlock(new_id))
    })
}

/// The "Omprövningar" list: locks of the user's units by review date.
pub fn list(
    conn: &mut DbConnection,
    ctx: &Ctx,
    ascending: bool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CaseRow>, i64), ServiceError> {
    let a = ctx.actor()?;
    if ![Role::Clinician, Role::Manager, Role::ChiefPhysician]
        .iter()
        .any(|r| a.has(*r))
    {
        return Err(ctx.denial(
            super::Access::ListCases,
            super::Refusal::Role,
            Some("reviews".into()),
            None,
            None,
        ));
    }
    let units: Vec<i64> = a.units.iter().map(|u| u.id).collect();
    Ok(cases::reviews_page(
        conn,
        Some(&units),
        ascending,
        limit,
        offset,
    )?)
}

/// Reminder keys already sent for a case (for tests and the case page).
pub fn sent_keys(conn: &mut DbConnection, case_id: i64) -> Result<Vec<String>, ServiceError> {
    Ok(reminders::keys_for(conn, case_id)?)
}
