//! Reminders for the three-month review and for missing forms (instruction 002 §4.2, §6
//! nödtelefon, §9): they survive restarts and go out once. The review decision itself is
//! `service::cases::review`.

use super::settings::Workflow;
use super::{Ctx, ServiceError};
use crate::db::models::CaseRow;
use crate::db::reminders;
use crate::db::{self, DbConnection, cases, org, users};
use crate::domain::review::{self, ReviewState};
use crate::i18n::{Lang, Msg};

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

/// Where reminders go, each address once with the language to write in: a user's own choice,
/// Swedish for an address that is not a user's (the chief physician function, the caller).
#[derive(Default)]
struct Recipients(std::collections::BTreeMap<String, Lang>);

impl Recipients {
    fn add(&mut self, email: &str, lang: Lang) {
        if !crate::domain::validate::email(email) {
            return;
        }
        // An address that is also a user's who chose English gets English.
        let l = self.0.entry(email.to_string()).or_insert(lang);
        if lang == Lang::En {
            *l = lang;
        }
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

fn recipients(
    c: &mut DbConnection,
    row: &CaseRow,
    escalate: bool,
    to: &mut Recipients,
) -> Result<(), ServiceError> {
    if let Some(uid) = row.review_responsible_user_id
        && let Some(u) = users::by_id(c, uid)?.filter(|u| u.active)
    {
        to.add(&u.email, Lang::from_code(&u.lang));
    }
    // A person named on a paper or API case (a unit without users here).
    if !row.review_responsible_email.is_empty() {
        to.add(&row.review_responsible_email, Lang::Sv);
    }
    let unit = org::unit(c, row.unit_id)?;
    if let Some(m) = unit.as_ref().and_then(|u| u.manager_user_id)
        && let Some(u) = users::by_id(c, m)?.filter(|u| u.active)
    {
        to.add(&u.email, Lang::from_code(&u.lang));
    }
    if escalate && let Some(u) = &unit {
        to.add(&u.chief_physician_email, Lang::Sv);
    }
    Ok(())
}

/// What a reminder says (no personal data): catalog texts, worded per recipient.
struct Notice<'a> {
    subject: &'static str,
    lines: &'a [Msg],
    link: &'a str,
}

fn enqueue(
    c: &mut DbConnection,
    ctx: &Ctx,
    wf: &Workflow,
    row: &CaseRow,
    to: &Recipients,
    n: Notice<'_>,
) -> Result<(), ServiceError> {
    super::outbox::enqueue_notice(
        c,
        ctx,
        &wf.mail_from,
        row,
        &to.0
            .iter()
            .map(|(a, l)| (a.clone(), *l))
            .collect::<Vec<_>>(),
        &super::outbox::Notice {
            kind: KIND,
            subject: n.subject,
            lines: n.lines,
            link: n.link,
            no_recipient: "Påminnelsen har ingen mottagare: ansvarig och verksamhetschef saknas eller saknar e-post.",
        },
    )
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
            // A lock an executed unlock lifted is not reviewed: no reminder, and its stray
            // review date (written before the unlock's execution ended it) is cleared.
            if super::cases::lifting_unlock(conn, &row)?.is_some() {
                cases::set_review_due(conn, row.id, None)?;
                continue;
            }
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
                let mut to = Recipients::default();
                recipients(c, &row, escalate, &mut to)?;
                let due_text = due.to_string();
                let when = match review::review_state(due, today, p.before_days) {
                    ReviewState::Overdue => {
                        Msg::key("mail-review-overdue").arg("date", due_text.as_str())
                    }
                    ReviewState::Due => Msg::key("mail-review-today"),
                    _ => Msg::key("mail-review-by").arg("date", due_text.as_str()),
                };
                let lines = vec![
                    Msg::key("mail-review-intro"),
                    when,
                    Msg::key("mail-review-action"),
                ];
                let subject = if escalate {
                    "mail-review-subject-overdue"
                } else {
                    "mail-review-subject"
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
                cases::add_event_msg(
                    c,
                    row.id,
                    db::ts(now),
                    None,
                    "Kontospärr",
                    "Påminnelse om omprövning skickad",
                    &Msg::key(if escalate {
                        "case-detail-recipients-chief"
                    } else {
                        "case-detail-recipients"
                    })
                    .arg("n", to.len().to_string()),
                )?;
                let mut e = ctx.entry(None, "review_reminder", Some(format!("case:{}", row.id)));
                // The reminder's key (`review-…`): a code, the same in every language.
                e.detail = Some(Msg::from(key.as_str()));
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
                let mut to = Recipients::default();
                recipients(c, &row, false, &mut to)?;
                to.add(&row.caller_email, Lang::Sv);
                let mut lines = vec![Msg::key("mail-form-intro")];
                if row.requested_by == crate::domain::case::RequestedBy::Citizen {
                    lines.push(Msg::key("mail-form-citizen"));
                } else {
                    lines.push(Msg::key("mail-form-send"));
                }
                enqueue(
                    c,
                    &ctx,
                    wf,
                    &row,
                    &to,
                    Notice {
                        subject: "mail-form-subject",
                        lines: &lines,
                        link: &format!("{}/arenden/{}", wf.public_url, row.id),
                    },
                )?;
                cases::add_event_msg(
                    c,
                    row.id,
                    db::ts(now),
                    None,
                    "Kontospärr",
                    "Påminnelse om saknad blankett skickad",
                    &Msg::key("case-detail-recipients").arg("n", to.len().to_string()),
                )?;
                let mut e = ctx.entry(None, "form_reminder", Some(format!("case:{}", row.id)));
                // The reminder's key (`review-…`): a code, the same in every language.
                e.detail = Some(Msg::from(key.as_str()));
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

/// Reminder keys already sent for a case (for tests and the case page).
pub fn sent_keys(conn: &mut DbConnection, case_id: i64) -> Result<Vec<String>, ServiceError> {
    Ok(reminders::keys_for(conn, case_id)?)
}
