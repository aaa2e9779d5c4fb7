//! Notices to the requesting unit that carry no personal data (seed 004: no patient data in
//! clear e-mail) — only that something happened and a link to the case: a case returned for
//! completion goes to the clinician who filed it and the unit's verksamhetschef.

use super::settings::Workflow;
use super::{Ctx, ServiceError};
use crate::db::models::CaseRow;
use crate::db::outbox::{self, NewMessage};
use crate::db::{self, DbConnection, cases, org, users};
use crate::mail::message;

pub const KIND: &str = "notice";

/// Who hears of a returned case: the one who filed it (when they work at the unit) and the
/// unit's manager, active and with a valid address.
fn recipients(c: &mut DbConnection, row: &CaseRow) -> Result<Vec<String>, ServiceError> {
    let mut out = vec![];
    if let Some(uid) = row.created_by_user_id
        && users::is_member(c, uid, row.unit_id)?
        && let Some(u) = users::by_id(c, uid)?.filter(|u| u.active)
    {
        out.push(u.email);
    }
    if let Some(m) = org::unit(c, row.unit_id)?.and_then(|u| u.manager_user_id)
        && let Some(u) = users::by_id(c, m)?.filter(|u| u.active)
    {
        out.push(u.email);
    }
    out.retain(|e| crate::domain::validate::email(e));
    out.sort();
    out.dedup();
    Ok(out)
}

/// Writes the "returned for completion" notice to the outbox, in the caller's transaction.
pub fn returned(
    c: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let now = db::ts(ctx.now);
    let to = recipients(c, row)?;
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
                last_error: "Aviseringen har ingen mottagare: den som skrev ärendet och verksamhetschefen saknas eller saknar e-post.",
            },
            now,
        )?;
        return Ok(());
    }
    let subject = "Ett ärende i Kontospärr har returnerats för komplettering";
    let lines = vec![
        "Spärr- och loggservice har returnerat ett ärende från er enhet för komplettering.".to_string(),
        "Logga in i Kontospärr och öppna ärendet för att se vad som saknas, komplettera och skicka det igen.".to_string(),
    ];
    let link = format!("{}/arenden/{}", wf.public_url, row.id);
    for addr in &to {
        let built = message::reminder(&wf.mail_from, addr, subject, &lines, &link)
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
    cases::add_event(
        c,
        row.id,
        now,
        None,
        "Kontospärr",
        "Avisering om returen lagd i utkorgen",
        &format!("{} mottagare, utan personuppgifter", to.len()),
    )?;
    Ok(())
}
