//! The mail outbox: one row per message, claimed by one delivery worker at a time.

use super::DbConnection;
use super::page::{self, Count, CountOf, Cursor, Page};
use super::schema::{outbox, unit_certificates};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub recipient: String,
    pub encrypted: bool,
    pub message: Vec<u8>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub claimed_by: String,
    pub last_error: String,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A message's delivery state without its content (for the case page and the admin list).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Delivery {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub recipient: String,
    pub encrypted: bool,
    pub status: String,
    pub attempts: i32,
    pub last_error: String,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Delivery {
    pub fn is_sent(&self) -> bool {
        self.status == "sent"
    }
    pub fn is_failed(&self) -> bool {
        self.status == "failed"
    }
    pub fn is_sending(&self) -> bool {
        self.status == "sending"
    }
}

pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub case_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub recipient: &'a str,
    pub encrypted: bool,
    pub message: &'a [u8],
    /// `pending`, or `failed` when it can never be sent (no recipient).
    pub status: &'a str,
    pub last_error: &'a str,
}

pub fn insert(conn: &mut DbConnection, m: &NewMessage<'_>, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(m.kind),
            outbox::case_id.eq(m.case_id),
            outbox::unit_id.eq(m.unit_id),
            outbox::recipient.eq(m.recipient),
            outbox::encrypted.eq(m.encrypted),
            outbox::message.eq(m.message),
            outbox::status.eq(m.status),
            outbox::next_attempt_at.eq(at),
            outbox::last_error.eq(m.last_error),
            outbox::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Claims up to `limit` due messages for this worker until `lease_until`: pending ones whose time
/// has come, and ones whose earlier claim ran out (a worker that died). On PostgreSQL the rows are
/// locked with `FOR UPDATE SKIP LOCKED`, so two instances never claim the same message; SQLite
/// has a single writer. Must run inside a write transaction.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    worker: &str,
    lease_until: NaiveDateTime,
) -> QueryResult<Vec<OutboxRow>> {
    let due = outbox::status
        .eq("pending")
        .and(outbox::next_attempt_at.le(now))
        .or(outbox::status
            .eq("sending")
            .and(outbox::claimed_until.lt(now)));
    let ids: Vec<i64> = match conn {
        DbConnection::Pg(pg) => outbox::table
            .filter(due)
            .order(outbox::id.asc())
            .limit(limit)
            .select(outbox::id)
            .for_update()
            .skip_locked()
            .load(pg)?,
        DbConnection::Sqlite(sq) => outbox::table
            .filter(due)
            .order(outbox::id.asc())
            .limit(limit)
            .select(outbox::id)
            .load(sq)?,
    };
    if ids.is_empty() {
        return Ok(vec![]);
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((
            outbox::status.eq("sending"),
            outbox::claimed_until.eq(Some(lease_until)),
            outbox::claimed_by.eq(worker),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
    outbox::table
        .filter(outbox::id.eq_any(&ids))
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Extends this worker's claim on a message until `lease_until`; false when the claim is no
/// longer its own (it ran out and another worker took the message over, or it was finished).
/// A worker renews before it sends, and sends only when this says true.
pub fn renew(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("sending"))
            .filter(outbox::claimed_by.eq(worker)),
    )
    .set(outbox::claimed_until.eq(Some(lease_until)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records the outcome of a claimed message, only while this worker still holds the claim.
pub fn finish(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    status: &str,
    next_attempt_at: NaiveDateTime,
    error: &str,
    sent_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("sending"))
            .filter(outbox::claimed_by.eq(worker)),
    )
    .set((
        outbox::status.eq(status),
        outbox::next_attempt_at.eq(next_attempt_at),
        outbox::last_error.eq(error),
        outbox::sent_at.eq(sent_at),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Puts a failed message back in the queue.
pub fn resend(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("failed")),
    )
    .set((
        outbox::status.eq("pending"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::claimed_by.eq(""),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Delivery>> {
    outbox::table
        .find(id)
        .select(Delivery::as_select())
        .first(conn)
        .optional()
}

pub fn for_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<Delivery>> {
    on_backend!(conn, |c| outbox::table
        .filter(outbox::case_id.eq(case_id))
        .order(outbox::id.asc())
        .limit(50)
        .select(Delivery::as_select())
        .load(c))
}

pub fn failed_page(
    conn: &mut DbConnection,
    cursor: &Cursor<()>,
    limit: i64,
    cap: i64,
) -> QueryResult<Page<Delivery, ()>> {
    let failed = || {
        outbox::table
            .filter(outbox::status.eq("failed"))
            .into_boxed()
    };
    let count = failed_count(conn, cap)?;
    page::fetch(
        cursor,
        limit,
        |c, n| {
            let q = failed();
            let q = match c {
                Cursor::First => q.order(outbox::id.desc()),
                Cursor::After(_, i) => q.filter(outbox::id.lt(*i)).order(outbox::id.desc()),
                Cursor::Before(_, i) => q.filter(outbox::id.gt(*i)).order(outbox::id.asc()),
            };
            q.limit(n).select(Delivery::as_select()).load(conn)
        },
        |d| ((), d.id),
        count,
    )
}

/// How many messages failed (the admin's failed-mail list), up to `cap + 1`.
pub fn failed_count(conn: &mut DbConnection, cap: i64) -> QueryResult<Count> {
    let n: i64 = CountOf(
        outbox::table
            .filter(outbox::status.eq("failed"))
            .select(outbox::id)
            .limit(cap + 1),
    )
    .get_result(conn)?;
    Ok(Count::of(n, cap))
}

/// Messages waiting to go (pending or being sent) and when the oldest of them was written.
pub fn queue(conn: &mut DbConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let waiting = outbox::status.eq_any(["pending", "sending"]);
    let n = outbox::table
        .filter(waiting.clone())
        .count()
        .get_result(conn)?;
    let oldest = outbox::table
        .filter(waiting)
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn)?;
    Ok((n, oldest))
}

pub fn count_by_status(conn: &mut DbConnection, status: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(status))
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unit_certificates)]
pub struct UnitCertificate {
    pub unit_id: i64,
    pub pem: String,
    pub subject: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub fingerprint: String,
    pub uploaded_at: NaiveDateTime,
}

pub fn certificate(conn: &mut DbConnection, unit_id: i64) -> QueryResult<Option<UnitCertificate>> {
    unit_certificates::table
        .find(unit_id)
        .select(UnitCertificate::as_select())
        .first(conn)
        .optional()
}

pub fn certificates(conn: &mut DbConnection) -> QueryResult<Vec<UnitCertificate>> {
    unit_certificates::table
        .order(unit_certificates::not_after.asc())
        .limit(1000)
        .select(UnitCertificate::as_select())
        .load(conn)
}

#[allow(clippy::too_many_arguments)]
pub fn set_certificate(
    conn: &mut DbConnection,
    unit_id: i64,
    pem: &str,
    subject: &str,
    not_before: NaiveDateTime,
    not_after: NaiveDateTime,
    fingerprint: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(unit_certificates::table.find(unit_id)).execute(conn)?;
    diesel::insert_into(unit_certificates::table)
        .values((
            unit_certificates::unit_id.eq(unit_id),
            unit_certificates::pem.eq(pem),
            unit_certificates::subject.eq(subject),
            unit_certificates::not_before.eq(not_before),
            unit_certificates::not_after.eq(not_after),
            unit_certificates::fingerprint.eq(fingerprint),
            unit_certificates::uploaded_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_certificate(conn: &mut DbConnection, unit_id: i64) -> QueryResult<usize> {
    diesel::delete(unit_certificates::table.find(unit_id)).execute(conn)
}

/// The pending messages of one kind for a case (demo seeding marks them delivered).
pub fn pending_for_case(
    conn: &mut DbConnection,
    case_id: i64,
    kind: &str,
) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::case_id.eq(case_id))
        .filter(outbox::kind.eq(kind))
        .filter(outbox::status.eq("pending"))
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Marks a pending message as sent (demo seeding: a demo has no mail server).
pub fn mark_sent(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq("pending")),
    )
    .set((outbox::status.eq("sent"), outbox::sent_at.eq(Some(at))))
    .execute(conn)?;
    Ok(n == 1)
}
