//! Notices to the requesting unit that carry no personal data (seed 004: no patient data in
//! clear e-mail) — only that something happened and a link to the case: a case returned for
//! completion goes to the clinician who filed it and the unit's verksamhetschef; a signed lock
//! decision goes to the chefläkare of the unit's area (instruction 002 §3.3: the chefläkare
//! function is informed of every lock decision).

use super::settings::Workflow;
use super::{Ctx, ServiceError};
use crate::db::models::CaseRow;
use crate::db::{self, DbConnection, cases, org, users};
use crate::i18n::{Lang, Msg};

pub const KIND: &str = "notice";
/// The chefläkare's notice of a signed lock decision.
pub const KIND_LOCK_SIGNED: &str = "lock_signed_notice";

/// Who hears of a returned case: the one who filed it (when they work at the unit) and the
/// unit's manager, active and with a valid address.
fn recipients(c: &mut DbConnection, row: &CaseRow) -> Result<Vec<(String, Lang)>, ServiceError> {
    let mut out = vec![];
    if let Some(uid) = row.created_by_user_id
        && users::is_member(c, uid, row.unit_id)?
        && let Some(u) = users::by_id(c, uid)?.filter(|u| u.active)
    {
        out.push((u.email, Lang::from_code(&u.lang)));
    }
    if let Some(m) = org::unit(c, row.unit_id)?.and_then(|u| u.manager_user_id)
        && let Some(u) = users::by_id(c, m)?.filter(|u| u.active)
    {
        out.push((u.email, Lang::from_code(&u.lang)));
    }
    out.retain(|(e, _)| crate::domain::validate::email(e));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// Writes the "returned for completion" notice to the outbox, in the caller's transaction.
pub fn returned(
    c: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let to = recipients(c, row)?;
    let link = format!("{}/arenden/{}", wf.public_url, row.id);
    let lines = [
        Msg::key("notice-returned-line-1"),
        Msg::key("notice-returned-line-2"),
    ];
    super::outbox::enqueue_notice(
        c,
        ctx,
        &wf.mail_from,
        row,
        &to,
        &super::outbox::Notice {
            kind: KIND,
            subject: "notice-returned-subject",
            lines: &lines,
            link: &link,
            no_recipient: "Aviseringen har ingen mottagare: den som skrev ärendet och verksamhetschefen saknas eller saknar e-post.",
        },
    )?;
    if to.is_empty() {
        return Ok(());
    }
    let now = db::ts(ctx.now);
    cases::add_event_msg(
        c,
        row.id,
        now,
        None,
        "Kontospärr",
        "Avisering om returen lagd i utkorgen",
        &Msg::key("case-detail-recipients-no-pd").arg("n", to.len().to_string()),
    )?;
    Ok(())
}

/// Who hears of a signed lock decision: the chefläkare of the area — the active users with the
/// chief physician role at the case's unit — and the unit's chefläkare function mailbox
/// (`units.chief_physician_email`, where the review reminders escalate to), each once.
fn chief_physicians(
    c: &mut DbConnection,
    row: &CaseRow,
) -> Result<Vec<(String, Lang)>, ServiceError> {
    let mut out: Vec<(String, Lang)> =
        users::with_role_in_unit(c, crate::domain::Role::ChiefPhysician, row.unit_id)?
            .into_iter()
            .map(|u| (u.email, Lang::from_code(&u.lang)))
            .collect();
    if let Some(u) = org::unit(c, row.unit_id)? {
        out.push((u.chief_physician_email, Lang::Sv));
    }
    out.retain(|(e, _)| crate::domain::validate::email(e));
    // The first of an address wins: a person's own language before the mailbox's Swedish.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|(e, _)| seen.insert(e.to_lowercase()));
    Ok(out)
}

/// Writes the "a lock decision was signed" notice to the outbox for the chefläkare of the area,
/// in the caller's transaction (the signature's): no personnummer, no name — that a decision was
/// signed, and a link to the case, which they can open once the unit has sent it.
pub fn lock_signed(
    c: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let to = chief_physicians(c, row)?;
    let link = format!("{}/arenden/{}", wf.public_url, row.id);
    let lines = [
        Msg::key("notice-lock-signed-line-1"),
        Msg::key("notice-lock-signed-line-2"),
    ];
    super::outbox::enqueue_notice(
        c,
        ctx,
        &wf.mail_from,
        row,
        &to,
        &super::outbox::Notice {
            kind: KIND_LOCK_SIGNED,
            subject: "notice-lock-signed-subject",
            lines: &lines,
            link: &link,
            no_recipient: "Aviseringen till chefläkaren har ingen mottagare: enheten har ingen chefläkare med e-post och ingen adress till chefläkarfunktionen.",
        },
    )?;
    if to.is_empty() {
        return Ok(());
    }
    cases::add_event(
        c,
        row.id,
        db::ts(ctx.now),
        None,
        "Kontospärr",
        "Avisering till chefläkaren lagd i utkorgen",
        &format!("{} mottagare, utan personuppgifter", to.len()),
    )?;
    Ok(())
}
