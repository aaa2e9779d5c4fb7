//! Delivering the outbox: claim due messages, send each over SMTP outside any transaction,
//! record the outcome. Temporary failures are retried with a growing delay; permanent (5xx)
//! failures are marked failed for the admin; a message is sent once (its claim is held by one
//! worker, and is only taken over when that worker's lease ran out).

use super::{Ctx, ServiceError};
use crate::clock::Clock;
use crate::config::SmtpSettings;
use crate::db::outbox::{self, Delivery, OutboxRow};
use crate::db::{self, DbConnection, Pool, cases};
use crate::domain::Role;
use crate::domain::case::{self as lifecycle, Action, ActorKind, Facts, Status};
use crate::i18n::{Lang, Msg};
use crate::mail::message;
use crate::mail::transport;
use chrono::Duration;

/// Messages a worker claims at a time.
const BATCH: i64 = 20;
/// How long a claim holds before another worker may take the message over: a message claimed by
/// a process that died is sent by another within a minute. A live worker renews the claim of
/// each message just before sending it (and sends only if the claim is still its own), and every
/// `RENEW_EVERY` while it sends, so a slow SMTP exchange does not lose it.
pub const LEASE: Duration = Duration::seconds(45);
/// How often a worker renews its claims while it sends.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// After this many attempts a temporarily failing message is given up (about two days).
const MAX_ATTEMPTS: i32 = 60;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The delay before attempt `n + 1`: 1, 2, 4, 8 … minutes, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 7) - 1;
    Duration::minutes((1i64 << exp).min(60))
}

/// One pass over the due messages.
pub fn deliver_due(
    pool: &Pool,
    smtp: &SmtpSettings,
    clock: &dyn Clock,
    worker: &str,
) -> Result<Report, ServiceError> {
    let now = clock.now();
    let claimed: Vec<OutboxRow> = {
        let mut conn = pool.get().map_err(db::DbError::from)?;
        db::write_tx(&mut conn, |c| {
            outbox::claim_due(c, db::ts(now), BATCH, worker, db::ts(now + LEASE))
        })?
    };
    let mut report = Report::default();
    for m in claimed {
        // Still ours? (A pass that took long may have lost later messages to another worker.)
        let held = {
            let mut conn = pool.get().map_err(db::DbError::from)?;
            outbox::renew(&mut conn, m.id, worker, db::ts(clock.now() + LEASE))?
        };
        if !held {
            tracing::info!(
                message = m.id,
                "claim lost to another worker; not sent here"
            );
            continue;
        }
        let result = sending(pool, clock, worker, m.id, || {
            transport::send(smtp, &m.recipient, &m.message)
        });
        let mut conn = pool.get().map_err(db::DbError::from)?;
        let at = clock.now();
        db::write_tx(&mut conn, |c| -> Result<(), ServiceError> {
            match &result {
                Ok(()) => {
                    if outbox::finish(c, m.id, worker, "sent", db::ts(at), "", Some(db::ts(at)))? {
                        report.sent += 1;
                        delivered(c, &m, at)?;
                    }
                }
                Err(e) if e.permanent || m.attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(message = m.id, "mail failed permanently");
                    outbox::finish(c, m.id, worker, "failed", db::ts(at), &e.message, None)?;
                    report.failed += 1;
                }
                Err(e) => {
                    tracing::info!(
                        message = m.id,
                        attempts = m.attempts,
                        "mail will be retried"
                    );
                    outbox::finish(
                        c,
                        m.id,
                        worker,
                        "pending",
                        db::ts(at + backoff(m.attempts)),
                        &e.message,
                        None,
                    )?;
                    report.retrying += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(report)
}

/// Runs `send` while a helper thread renews the claim on message `id` every [`RENEW_EVERY`].
fn sending<T>(
    pool: &Pool,
    clock: &dyn Clock,
    worker: &str,
    id: i64,
    send: impl FnOnce() -> T,
) -> T {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                wait.recv_timeout(RENEW_EVERY)
            {
                let renewed = pool.get().map_err(db::DbError::from).and_then(|mut c| {
                    Ok(outbox::renew(
                        &mut c,
                        id,
                        worker,
                        db::ts(clock.now() + LEASE),
                    )?)
                });
                if let Err(e) = renewed {
                    tracing::warn!(message = id, error = %e, "mail claim not renewed");
                }
            }
        });
        let out = send();
        drop(done);
        out
    })
}

/// After delivered feedback the case is closed (SPEC §3: executed ─feedback─▶ closed).
fn delivered(
    c: &mut DbConnection,
    m: &OutboxRow,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    let Some(case_id) = m.case_id else {
        return Ok(());
    };
    let Some(mut row) = cases::get(c, case_id)? else {
        return Ok(());
    };
    let how = Msg::key(if m.encrypted {
        "case-detail-how-encrypted"
    } else {
        "case-detail-how-notice"
    });
    cases::add_event_msg(
        c,
        case_id,
        db::ts(at),
        None,
        "Kontospärr",
        if m.kind == super::feedback::KIND {
            "Återkoppling levererad till verksamhetschefen"
        } else {
            "E-post levererad"
        },
        &how,
    )?;
    if m.kind == super::feedback::KIND && row.status == Status::Executed {
        let facts = Facts {
            actor: ActorKind::System,
            actor_is_decider: false,
            signed: true,
            complete: true,
            checklist_done: true,
            lifted: false,
        };
        let next = lifecycle::transition(Some(Status::Executed), Action::Feedback, facts)
            .map_err(|e| ServiceError::Refused(crate::messages::transition(&e)))?;
        let version = row.version;
        row.status = next;
        row.updated_at = db::ts(at);
        if !cases::save(c, &row, version)? {
            // Someone changed the case meanwhile; it stays executed and the delivery is recorded.
            return Ok(());
        }
    }
    let ctx = Ctx {
        now: at,
        client_addr: "utkorg".into(),
        principal: super::Principal::Job(super::Job::Outbox),
    };
    let mut e = ctx.entry(
        None,
        "case_feedback_delivered",
        Some(format!("case:{case_id}")),
    );
    e.personnummer = Some(row.citizen_pnr.clone());
    e.detail = Some(how);
    ctx.log(c, &e)
}

/// Demo seeding (a demo has no mail server): a case's pending feedback counts as delivered, with
/// everything a real delivery records — the executed case closes as it would.
pub(crate) fn demo_delivered(
    c: &mut DbConnection,
    case_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    for m in outbox::pending_for_case(c, case_id, super::feedback::KIND)? {
        if outbox::mark_sent(c, m.id, db::ts(at))? {
            delivered(c, &m, at)?;
        }
    }
    Ok(())
}

/// Delivery state of a case's messages (shown on the case).
pub fn for_case(conn: &mut DbConnection, case_id: i64) -> Result<Vec<Delivery>, ServiceError> {
    Ok(outbox::for_case(conn, case_id)?)
}

pub fn failed_page(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cursor: &crate::db::page::Cursor<()>,
    limit: i64,
) -> Result<crate::db::page::Page<Delivery, ()>, ServiceError> {
    ctx.require(super::Access::MailStatus)?;
    Ok(outbox::failed_page(
        conn,
        cursor,
        limit,
        crate::db::page::COUNT_CAP,
    )?)
}

/// How many messages failed (a number), up to `cap`.
pub fn failed_count(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cap: i64,
) -> Result<crate::db::page::Count, ServiceError> {
    ctx.require(super::Access::MailStatus)?;
    Ok(outbox::failed_count(conn, cap)?)
}

/// How many messages wait in the outbox.
pub fn pending_count(conn: &mut DbConnection, ctx: &Ctx) -> Result<i64, ServiceError> {
    ctx.require(super::Access::MailStatus)?;
    Ok(outbox::count_by_status(conn, "pending")?)
}

pub fn resend(conn: &mut DbConnection, ctx: &Ctx, id: i64) -> Result<(), ServiceError> {
    ctx.require(super::Access::Administer)?;
    db::write_tx(conn, |c| {
        let m = outbox::get(c, id)?.ok_or(ServiceError::NotFound)?;
        if m.recipient.is_empty() {
            return Err(ServiceError::Declined(super::Reason::MailNoRecipient));
        }
        if !outbox::resend(c, id, db::ts(ctx.now))? {
            return Err(ServiceError::Declined(super::Reason::MailNotFailed));
        }
        let mut e = ctx.entry(Some(Role::Admin), "mail_resend", Some(format!("mail:{id}")));
        e.detail = m.case_id.map(|c| Msg::from(format!("case:{c}")));
        ctx.log(c, &e)
    })
}

/// A notice without personal data (a reminder, a returned case): catalog texts worded per
/// recipient, and a link to the case (seed 004: no patient data in clear e-mail).
pub(crate) struct Notice<'a> {
    pub kind: &'static str,
    pub subject: &'static str,
    pub lines: &'a [Msg],
    pub link: &'a str,
    /// Stored on a failed row when there is nobody to send the notice to.
    pub no_recipient: &'static str,
}

/// Writes a notice to the outbox for each recipient, in their language, in the caller's
/// transaction; with no recipient, one failed row says why (the admin's failed-mail list shows
/// it).
pub(crate) fn enqueue_notice(
    c: &mut DbConnection,
    ctx: &Ctx,
    from: &str,
    row: &crate::db::models::CaseRow,
    to: &[(String, Lang)],
    n: &Notice<'_>,
) -> Result<(), ServiceError> {
    let now = db::ts(ctx.now);
    fn plain<'a>(
        kind: &'a str,
        row: &crate::db::models::CaseRow,
        recipient: &'a str,
        message: &'a [u8],
        status: &'a str,
        last_error: &'a str,
    ) -> outbox::NewMessage<'a> {
        outbox::NewMessage {
            kind,
            case_id: Some(row.id),
            unit_id: Some(row.unit_id),
            recipient,
            encrypted: false,
            message,
            status,
            last_error,
        }
    }
    if to.is_empty() {
        outbox::insert(
            c,
            &plain(n.kind, row, "", b"", "failed", n.no_recipient),
            now,
        )?;
        return Ok(());
    }
    for (addr, lang) in to {
        let words: Vec<String> = n.lines.iter().map(|m| m.in_lang(*lang)).collect();
        let built = message::reminder(*lang, from, addr, &lang.t(n.subject), &words, n.link)
            .map_err(|e| ServiceError::Technical(format!("{} not built: {e}", n.kind)))?;
        outbox::insert(c, &plain(n.kind, row, addr, &built, "pending", ""), now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mins: Vec<i64> = (1..=9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(mins, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
