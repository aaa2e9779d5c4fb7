//! Feedback to the requesting unit's verksamhetschef when a lock or unlock is executed
//! (instruction 002 §8): written to the outbox in the transaction of the execution. With a valid
//! recipient certificate the feedback travels S/MIME-encrypted; without one the manager gets a
//! notice with no personal data and a link. Never a plain-text fallback.

use super::settings::Workflow;
use super::{Ctx, ServiceError};
use crate::db::models::CaseRow;
use crate::db::outbox::{self, NewMessage};
use crate::db::{self, DbConnection, cases, org, users};
use crate::mail::{cert, message};
use chrono_tz::Europe::Stockholm;

pub const KIND: &str = "feedback";

pub fn enqueue(
    c: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let unit = org::unit(c, row.unit_id)?.ok_or(ServiceError::NotFound)?;
    let manager = match unit.manager_user_id {
        Some(m) => {
            users::by_id(c, m)?.filter(|u| u.active && crate::domain::validate::email(&u.email))
        }
        None => None,
    };
    let now = db::ts(ctx.now);
    let link = format!("{}/arenden/{}", wf.public_url, row.id);
    let Some(manager) = manager else {
        // Visible to the admin as a failed message; the handler sees it on the case.
        outbox::insert(
            c,
            &NewMessage {
                kind: KIND,
                case_id: Some(row.id),
                unit_id: Some(unit.id),
                recipient: "",
                encrypted: false,
                message: b"",
                status: "failed",
                last_error: "Enheten saknar verksamhetschef med giltig e-postadress.",
            },
            now,
        )?;
        cases::add_event(
            c,
            row.id,
            now,
            None,
            "Kontospärr",
            "Återkoppling kunde inte skickas",
            "Enheten saknar verksamhetschef.",
        )?;
        return Ok(());
    };
    // In the manager's own language (Swedish unless they chose English).
    let lang = crate::i18n::Lang::from_code(&manager.lang);
    // Encrypted only to a valid certificate for the manager's own address.
    let certificate = outbox::certificate(c, unit.id)?.filter(|x| {
        cert::inspect(&x.pem, ctx.now)
            .is_ok_and(|i| crate::domain::validate::certificate_covers(&i.emails, &manager.email))
    });
    let built = match &certificate {
        Some(x) => {
            let related = match row.related_case_id {
                Some(r) => cases::get(c, r)?
                    .and_then(|r| r.diary_number)
                    .unwrap_or_default(),
                None => String::new(),
            };
            let executed_by = match row.executed_by_user_id {
                Some(u) => users::by_id(c, u)?.map(|u| u.name).unwrap_or_default(),
                None => String::new(),
            };
            let f = message::Feedback {
                kind: row.kind,
                diary_number: row.diary_number.clone().unwrap_or_default(),
                citizen_pnr: crate::domain::Personnummer::display_digits(&row.citizen_pnr),
                citizen_name: crate::domain::personnummer::shown(
                    &row.citizen_name,
                    row.citizen_protected,
                ),
                unit_name: unit.name.clone(),
                executed_at: row
                    .executed_at
                    .map(|t| {
                        t.and_utc()
                            .with_timezone(&Stockholm)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default(),
                executed_by,
                related_diary_number: related,
                link: link.clone(),
            };
            message::feedback_encrypted(lang, &wf.mail_from, &manager.email, &f, &x.pem)
        }
        None => message::feedback_notice(lang, &wf.mail_from, &manager.email, &link),
    }
    .map_err(|e| ServiceError::Technical(format!("feedback message not built: {e}")))?;
    let encrypted = certificate.is_some();
    outbox::insert(
        c,
        &NewMessage {
            kind: KIND,
            case_id: Some(row.id),
            unit_id: Some(unit.id),
            recipient: &manager.email,
            encrypted,
            message: &built,
            status: "pending",
            last_error: "",
        },
        now,
    )?;
    let how = crate::i18n::Msg::key(if encrypted {
        "case-detail-how-encrypted"
    } else {
        "case-detail-how-notice-no-cert"
    });
    cases::add_event_msg(
        c,
        row.id,
        now,
        None,
        "Kontospärr",
        "Återkoppling till verksamhetschefen lagd i utkorgen",
        &how,
    )?;
    Ok(())
}
