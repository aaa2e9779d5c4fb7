//! Notices to the requesting unit that carry no personal data (seed 004: no patient data in
//! clear e-mail) — only that something happened and a link to the case: a case returned for
//! completion goes to the clinician who filed it and the unit's verksamhetschef.

use super::settings::Workflow;
use super::{Ctx, ServiceError};
use crate::db::models::CaseRow;
use crate::db::{self, DbConnection, cases, org, users};
use crate::i18n::{Lang, Msg};

pub const KIND: &str = "notice";

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
