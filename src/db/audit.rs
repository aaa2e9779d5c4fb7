//! The access log table: append unsealed inside the caller's transaction, seal in rounds, verify
//! the chain (docs/architecture.md, "The access log").

use super::DbConnection;
use super::models::AccessLogRow;
use super::schema::{
    access_log, access_log_citizens, access_log_citizens_head, access_log_head, access_log_subjects,
};
use crate::domain::audit::{
    EntryFields, GENESIS, detail_with_subjects, digest_in, row_hash, sealed_hash, subject_set,
    subjects_digest,
};
use crate::i18n::Msg;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

/// One entry to append. Never holds passwords, codes or tokens.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub user_hsa_id: Option<String>,
    pub role: Option<String>,
    pub unit_code: Option<String>,
    pub action: String,
    pub object: Option<String>,
    pub personnummer: Option<String>,
    pub client_addr: Option<String>,
    /// What the entry says beyond its columns, as a catalog message: stored language-neutral
    /// (`Msg::to_log_detail`) and worded in the auditor's language when read
    /// (`Lang::log_detail`). A `Msg::Text` (a code) is stored as it is.
    pub detail: Option<Msg>,
    /// The citizens (personnummer, digits) a list shows: each gets a row in
    /// `access_log_subjects`, and the stored `detail` ends with their number and digest
    /// ([`crate::domain::audit::detail_with_subjects`]). Empty for a single-citizen entry, whose
    /// `personnummer` column is hashed itself (it gets its subject row all the same).
    pub subjects: Vec<String>,
}

diesel::define_sql_function!(fn last_insert_rowid() -> BigInt);

/// Appends one entry inside the caller's transaction, so that the row commits or rolls back with
/// the work it records, plus a row in `access_log_subjects` for each citizen it names (`subjects`
/// and `personnummer`). Returns the row's id.
///
/// - **PostgreSQL**: the row is inserted unsealed and no shared row is touched (many writers run
///   side by side); the sealer chains it once it is committed ([`seal_round`]).
/// - **SQLite**, inside a transaction: the row is sealed as it is inserted, as the next link after
///   the head, and the head moves in the same transaction. SQLite has one writer at a time, so the
///   head costs no concurrency, and the row is written once at its final size: sealed later, each
///   row grew in place and the sealer's rounds held the single writer for a tenth of a second
///   every second under load (bench/http). Outside a transaction (nothing in the application
///   appends so) the row is inserted unsealed, for the sealer.
pub fn append(conn: &mut DbConnection, at: NaiveDateTime, e: &NewEntry) -> QueryResult<i64> {
    let (at, detail, subjects) = prepare(at, e);
    match conn {
        DbConnection::Pg(c) => append_pg(c, at, e, detail.as_deref(), &subjects),
        DbConnection::Sqlite(c) => {
            use diesel::connection::{AnsiTransactionManager, TransactionManager};
            let in_tx = AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_some();
            if in_tx {
                append_sealed_sqlite(c, at, e, detail.as_deref(), &subjects)
            } else {
                append_unsealed_sqlite(c, at, e, detail.as_deref(), &subjects)
            }
        }
    }
}

/// Appends one entry unsealed on either backend, for the sealer to chain: what PostgreSQL always
/// does, and what an earlier version (or a write outside a transaction) left on SQLite.
pub fn append_unsealed(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    e: &NewEntry,
) -> QueryResult<i64> {
    let (at, detail, subjects) = prepare(at, e);
    match conn {
        DbConnection::Pg(c) => append_pg(c, at, e, detail.as_deref(), &subjects),
        DbConnection::Sqlite(c) => append_unsealed_sqlite(c, at, e, detail.as_deref(), &subjects),
    }
}

/// The time as both backends store it (microseconds, so that the hash made before the insert is
/// the hash of the row read back), the stored detail and the citizens the entry names.
fn prepare(at: NaiveDateTime, e: &NewEntry) -> (NaiveDateTime, Option<String>, Vec<&str>) {
    use chrono::Timelike;
    let at = at
        .with_nanosecond(at.nanosecond() / 1000 * 1000)
        .unwrap_or(at);
    let subjects = subject_set(
        e.subjects
            .iter()
            .map(String::as_str)
            .chain(e.personnummer.as_deref()),
    );
    let said = e.detail.as_ref().map(Msg::to_log_detail);
    let detail = if e.subjects.is_empty() {
        said
    } else {
        Some(detail_with_subjects(said.as_deref(), &subjects))
    };
    (at, detail, subjects)
}

/// One row per citizen, by one statement prepared once per connection: in-process, each run costs
/// microseconds, where a multi-row INSERT was parsed again for every entry (its text depends on the
/// number of rows) and needed a statement journal (bench/http, `perf`).
fn insert_subjects_sqlite(
    c: &mut diesel::SqliteConnection,
    id: i64,
    subjects: &[&str],
) -> QueryResult<()> {
    for p in subjects {
        diesel::insert_into(access_log_subjects::table)
            .values((
                access_log_subjects::entry_id.eq(id),
                access_log_subjects::personnummer.eq(*p),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// The columns an entry fills in whether sealed or not, as one value tuple.
macro_rules! entry_columns {
    ($at:expr, $e:expr, $detail:expr) => {
        (
            access_log::at.eq($at),
            access_log::user_hsa_id.eq(&$e.user_hsa_id),
            access_log::role.eq(&$e.role),
            access_log::unit_code.eq(&$e.unit_code),
            access_log::action.eq(&$e.action),
            access_log::object.eq(&$e.object),
            access_log::personnummer.eq(&$e.personnummer),
            access_log::client_addr.eq(&$e.client_addr),
            access_log::detail.eq($detail),
        )
    };
}

fn append_unsealed_sqlite(
    c: &mut diesel::SqliteConnection,
    at: NaiveDateTime,
    e: &NewEntry,
    detail: Option<&str>,
    subjects: &[&str],
) -> QueryResult<i64> {
    diesel::insert_into(access_log::table)
        .values(entry_columns!(at, e, detail))
        .execute(c)?;
    // The id is the rowid (INTEGER PRIMARY KEY); no table is read, and the statement is prepared
    // once per connection (a `sql` literal would be prepared every time).
    let id = diesel::select(last_insert_rowid()).get_result(c)?;
    insert_subjects_sqlite(c, id, subjects)?;
    Ok(id)
}

/// [`append`] on SQLite inside a transaction: the head read, the row inserted sealed as the next
/// link (its id chosen here, after the highest, as `AUTOINCREMENT` would: rows are never deleted),
/// its subjects, and the head moved. Every statement is prepared once per connection.
fn append_sealed_sqlite(
    c: &mut diesel::SqliteConnection,
    at: NaiveDateTime,
    e: &NewEntry,
    detail: Option<&str>,
    subjects: &[&str],
) -> QueryResult<i64> {
    let (last_seq, last_hash): (i64, String) = access_log_head::table
        .find(1)
        .select((access_log_head::last_seq, access_log_head::last_hash))
        .first(c)?;
    let highest: Option<i64> = access_log::table
        .select(diesel::dsl::max(access_log::id))
        .first(c)?;
    let id = highest.unwrap_or(0) + 1;
    let seq = last_seq + 1;
    let hash = sealed_hash(
        &last_hash,
        seq,
        &EntryFields {
            id,
            at,
            user_hsa_id: e.user_hsa_id.as_deref(),
            role: e.role.as_deref(),
            unit_code: e.unit_code.as_deref(),
            action: &e.action,
            object: e.object.as_deref(),
            personnummer: e.personnummer.as_deref(),
            client_addr: e.client_addr.as_deref(),
            detail,
        },
    );
    diesel::insert_into(access_log::table)
        .values((
            access_log::id.eq(id),
            entry_columns!(at, e, detail),
            access_log::prev_hash.eq(&last_hash),
            access_log::hash.eq(&hash),
            access_log::seal_seq.eq(seq),
        ))
        .execute(c)?;
    insert_subjects_sqlite(c, id, subjects)?;
    let moved = super::prepared::MoveHeadSqlite {
        seq,
        hash: &hash,
        last_seq,
    }
    .execute(c)?;
    if moved != 1 {
        // Not possible while this transaction holds SQLite's write lock; refuse rather than fork.
        return Err(diesel::result::Error::RollbackTransaction);
    }
    Ok(id)
}

/// [`append`] on PostgreSQL: a data-modifying WITH inserts the entry and its subject rows (from
/// one array parameter) as a single statement, prepared once per connection
/// ([`super::prepared::AppendEntryPg`]).
fn append_pg(
    c: &mut diesel::PgConnection,
    at: NaiveDateTime,
    e: &NewEntry,
    detail: Option<&str>,
    subjects: &[&str],
) -> QueryResult<i64> {
    super::prepared::AppendEntryPg {
        at,
        who: [&e.user_hsa_id, &e.role, &e.unit_code],
        action: &e.action,
        what: [&e.object, &e.personnummer, &e.client_addr],
        detail,
        subjects,
    }
    .get_result(c)
}

/// The citizens an entry names, sorted.
pub fn subjects(conn: &mut DbConnection, entry_id: i64) -> QueryResult<Vec<String>> {
    access_log_subjects::table
        .filter(access_log_subjects::entry_id.eq(entry_id))
        .order(access_log_subjects::personnummer.asc())
        .select(access_log_subjects::personnummer)
        .load(conn)
}

/// The ids of the entries naming a citizen, oldest first: the citizen index up to its head, then
/// the subject rows after it ([`citizens_through`]). With the head at 0 (PostgreSQL, where no
/// round runs) the index names nothing and is not asked.
pub fn entries_naming(conn: &mut DbConnection, personnummer: &str) -> QueryResult<Vec<i64>> {
    let through = citizens_through(conn)?;
    let mut ids: Vec<i64> = if through > 0 {
        access_log_citizens::table
            .filter(access_log_citizens::personnummer.eq(personnummer))
            .filter(access_log_citizens::entry_id.le(through))
            .order(access_log_citizens::entry_id.asc())
            .select(access_log_citizens::entry_id)
            .load(conn)?
    } else {
        Vec::new()
    };
    ids.extend(
        access_log_subjects::table
            .filter(access_log_subjects::entry_id.gt(through))
            .filter(access_log_subjects::personnummer.eq(personnummer))
            .order(access_log_subjects::entry_id.asc())
            .select(access_log_subjects::entry_id)
            .load::<i64>(conn)?,
    );
    Ok(ids)
}

/// The entry id up to which `access_log_citizens` indexes the subject rows: a citizen's entries
/// are those the index names up to here and the subject rows after it. (Read before either part,
/// the two never overlap and miss nothing even while a round commits: the head moves only after
/// the index has the rows, and subject rows are never removed.)
///
/// PostgreSQL is answered without a query: 0. Its subjects have their own citizen index, no round
/// runs there, and the subject rows name every entry's citizens whatever the head says, so reading
/// them all is right at any head; the read was one round trip of every citizen search, count and
/// extract for an answer that was always 0.
pub fn citizens_through(conn: &mut DbConnection) -> QueryResult<i64> {
    match conn {
        DbConnection::Pg(_) => Ok(0),
        DbConnection::Sqlite(_) => index_head(conn),
    }
}

/// Where the citizen index's head is: the entry id its rounds have taken in, on either backend
/// (the rounds start from here). Searches ask [`citizens_through`].
pub fn index_head(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(access_log_citizens_head::table
        .find(1)
        .select(access_log_citizens_head::through_entry_id)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Subject rows one round of [`index_citizens`] takes at most (whole entries: more when one entry
/// alone names more citizens): a round holds SQLite's writer for a few milliseconds.
pub const CITIZEN_ROUND_ROWS: i64 = 20_000;

/// An entry about a case, as SQLite's index by case takes it: `object` is `case:` and digits (as
/// the migration that made the index took them).
const IS_CASE_OBJECT: &str = "object GLOB 'case:[0-9]*' AND NOT substr(object, 6) GLOB '*[^0-9]*'";

/// One round of SQLite's citizen index, inside the caller's write transaction: the subject rows
/// after the head (at most about `max_rows`, whole entries; all of them when None) are added to
/// `access_log_citizens` in index order, on SQLite the entries about a case up to the same entry
/// to `access_log_cases` (the log's index by case, searched up to the same head, which
/// [`citizens_through`] gives), and the head moves past them. Returns the citizen rows added.
pub fn index_citizens(conn: &mut DbConnection, max_rows: Option<i64>) -> QueryResult<i64> {
    let through = index_head(conn)?;
    let after = || {
        access_log_subjects::table
            .filter(access_log_subjects::entry_id.gt(through))
            .order((
                access_log_subjects::entry_id.asc(),
                access_log_subjects::personnummer.asc(),
            ))
            .select(access_log_subjects::entry_id)
    };
    // The entry of the first row beyond the round, if there is one: the round stops before it
    // (or takes it whole when it is the first entry after the head).
    let beyond: Option<i64> = match max_rows {
        Some(n) => after().offset(n.max(0)).first(conn).optional()?,
        None => None,
    };
    let upto = match beyond {
        Some(b) => {
            let first: i64 = after().first(conn)?;
            if b > first { b - 1 } else { b }
        }
        None => match access_log_subjects::table
            .select(diesel::dsl::max(access_log_subjects::entry_id))
            .first::<Option<i64>>(conn)?
        {
            Some(m) if m > through => m,
            _ => return Ok(0),
        },
    };
    let added = diesel::insert_into(access_log_citizens::table)
        .values(
            access_log_subjects::table
                .filter(access_log_subjects::entry_id.gt(through))
                .filter(access_log_subjects::entry_id.le(upto))
                .order((
                    access_log_subjects::personnummer.asc(),
                    access_log_subjects::entry_id.asc(),
                ))
                .select((
                    access_log_subjects::personnummer,
                    access_log_subjects::entry_id,
                )),
        )
        .into_columns((
            access_log_citizens::personnummer,
            access_log_citizens::entry_id,
        ))
        .execute(conn)?;
    if let DbConnection::Sqlite(c) = conn {
        // The index by case, up to the same head: the entries about a case in this round.
        diesel::sql_query(format!(
            "INSERT INTO access_log_cases (case_id, entry_id) \
             SELECT CAST(substr(object, 6) AS INTEGER), id FROM access_log \
             WHERE id > ? AND id <= ? AND {IS_CASE_OBJECT} ORDER BY 1, 2"
        ))
        .bind::<diesel::sql_types::BigInt, _>(through)
        .bind::<diesel::sql_types::BigInt, _>(upto)
        .execute(c)?;
    }
    diesel::update(access_log_citizens_head::table.find(1))
        .set(access_log_citizens_head::through_entry_id.eq(upto))
        .execute(conn)?;
    Ok(added as i64)
}

/// The sealer's head: the last sealed `seal_seq` and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub last_seq: i64,
    pub last_hash: String,
    /// Rows up to here were chained by the formula from before sealing.
    pub legacy_seq: i64,
}

pub fn head(conn: &mut DbConnection) -> QueryResult<Head> {
    let (last_seq, last_hash, legacy_seq) = access_log_head::table
        .find(1)
        .select((
            access_log_head::last_seq,
            access_log_head::last_hash,
            access_log_head::legacy_seq,
        ))
        .first(conn)?;
    Ok(Head {
        last_seq,
        last_hash,
        legacy_seq,
    })
}

/// The key of the PostgreSQL advisory lock that makes one sealer at a time (any value unique to
/// this purpose: "KSAUDIT" in ASCII).
pub const SEAL_LOCK_KEY: i64 = 0x004b_5341_5544_4954;

/// What one sealing round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Another node holds the sealing lock; nothing was done.
    Busy,
    /// `sealed` rows were chained; the head is now at `head`.
    Sealed { sealed: i64, head: Head },
}

fn fields(r: &AccessLogRow) -> EntryFields<'_> {
    EntryFields {
        id: r.id,
        at: r.at,
        user_hsa_id: r.user_hsa_id.as_deref(),
        role: r.role.as_deref(),
        unit_code: r.unit_code.as_deref(),
        action: &r.action,
        object: r.object.as_deref(),
        personnummer: r.personnummer.as_deref(),
        client_addr: r.client_addr.as_deref(),
        detail: r.detail.as_deref(),
    }
}

/// One sealing round, in its own transaction: takes the sealing lock (PostgreSQL: a transaction
/// advisory lock, tried, never waited for; SQLite: the write transaction is exclusive), chains up
/// to `batch` unsealed rows in id order after the head, and moves the head. A row that commits
/// late (a lower id than rows already sealed) is sealed by a later round: the chain is in sealing
/// order, which is not always id order.
pub fn seal_round(conn: &mut DbConnection, batch: i64) -> QueryResult<Round> {
    // Most seconds there is nothing to seal: look first (the partial index answers), so that an
    // idle node takes no lock at all.
    let waiting: Option<i64> = access_log::table
        .filter(access_log::seal_seq.is_null())
        .select(access_log::id)
        .first(conn)
        .optional()?;
    if waiting.is_none() {
        return Ok(Round::Sealed {
            sealed: 0,
            head: head(conn)?,
        });
    }
    super::write_tx(conn, |conn| {
        if let DbConnection::Pg(c) = conn {
            let got: bool = diesel::select(diesel::dsl::sql::<Bool>(&format!(
                "pg_try_advisory_xact_lock({SEAL_LOCK_KEY})"
            )))
            .get_result(c)?;
            if !got {
                return Ok(Round::Busy);
            }
        }
        let start = head(conn)?;
        let rows: Vec<AccessLogRow> = access_log::table
            .filter(access_log::seal_seq.is_null())
            .order(access_log::id.asc())
            .limit(batch.max(1))
            .select(AccessLogRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(Round::Sealed {
                sealed: 0,
                head: start,
            });
        }
        let mut seq = start.last_seq;
        let mut prev = start.last_hash.clone();
        let mut sealed = Vec::with_capacity(rows.len());
        for r in &rows {
            seq += 1;
            let hash = sealed_hash(&prev, seq, &fields(r));
            sealed.push((r.id, prev, hash.clone(), seq));
            prev = hash;
        }
        for chunk in sealed.chunks(UPDATE_CHUNK) {
            if write_seals(conn, chunk)? != chunk.len() {
                // Sealed meanwhile by someone not holding the lock: give the round up.
                return Err(diesel::result::Error::RollbackTransaction);
            }
        }
        // The head moves only from where this round started (a second guard beside the lock).
        let n = diesel::update(
            access_log_head::table
                .find(1)
                .filter(access_log_head::last_seq.eq(start.last_seq))
                .filter(access_log_head::last_hash.eq(&start.last_hash)),
        )
        .set((
            access_log_head::last_seq.eq(seq),
            access_log_head::last_hash.eq(&prev),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(diesel::result::Error::RollbackTransaction);
        }
        Ok(Round::Sealed {
            sealed: rows.len() as i64,
            head: Head {
                last_seq: seq,
                last_hash: prev,
                legacy_seq: start.legacy_seq,
            },
        })
    })
}

/// Rows per UPDATE statement on PostgreSQL (four values each).
const UPDATE_CHUNK: usize = 1_000;

/// Writes the seals of `rows` (id, prev_hash, hash, seal_seq) to rows still unsealed; returns how
/// many were written. PostgreSQL gets one statement per chunk (a round trip per row would bound
/// the sealer to a few thousand rows a second); SQLite runs in-process, so one small statement per
/// row costs little.
fn write_seals(conn: &mut DbConnection, rows: &[(i64, String, String, i64)]) -> QueryResult<usize> {
    match conn {
        DbConnection::Pg(c) => {
            // Every value is an integer or a hex digest made here: nothing to quote.
            let values = rows
                .iter()
                .map(|(id, prev, hash, seq)| {
                    format!("({id}::bigint,'{prev}','{hash}',{seq}::bigint)")
                })
                .collect::<Vec<_>>()
                .join(",");
            diesel::sql_query(format!(
                "UPDATE access_log AS a SET prev_hash = v.prev_hash, hash = v.hash, seal_seq = v.seal_seq \
                 FROM (VALUES {values}) AS v(id, prev_hash, hash, seal_seq) \
                 WHERE a.id = v.id AND a.seal_seq IS NULL"
            ))
            .execute(c)
        }
        DbConnection::Sqlite(c) => {
            let mut n = 0;
            for (id, prev, hash, seq) in rows {
                n += diesel::update(
                    access_log::table
                        .filter(access_log::id.eq(id))
                        .filter(access_log::seal_seq.is_null()),
                )
                .set((
                    access_log::prev_hash.eq(prev),
                    access_log::hash.eq(hash),
                    access_log::seal_seq.eq(seq),
                ))
                .execute(c)?;
            }
            Ok(n)
        }
    }
}

/// How many rows wait for the sealer, and when the oldest of them was written.
pub fn unsealed(conn: &mut DbConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let n: i64 = access_log::table
        .filter(access_log::seal_seq.is_null())
        .count()
        .get_result(conn)?;
    let oldest: Option<NaiveDateTime> = access_log::table
        .filter(access_log::seal_seq.is_null())
        .select(diesel::dsl::min(access_log::at))
        .first(conn)?;
    Ok((n, oldest))
}

/// The first thing wrong with the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The place in the chain where it breaks.
    pub seal_seq: i64,
    /// The row found there, if any (none when the row was removed).
    pub id: Option<i64>,
    pub reason: String,
}

/// A chain position and hash to hold the log to (from a signed checkpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seal_seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Sealed rows found intact, from the start of the chain.
    pub rows: i64,
    /// The hash of the last intact row.
    pub head_hash: String,
    pub broken: Option<Broken>,
    /// Rows not sealed yet, and the time of the oldest.
    pub unsealed: i64,
    pub oldest_unsealed: Option<NaiveDateTime>,
}

pub const BATCH: i64 = 5_000;
/// The server's sealing round on SQLite, where a round holds the single writer's lock: short
/// enough that the requests queued behind it hardly notice (`cli::serve`).
pub const SQLITE_SERVER_ROUND: i64 = 250;

/// Sealed rows from `after_seq` on (exclusive), in seal order, at most `limit`.
pub fn sealed_after(
    conn: &mut DbConnection,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<AccessLogRow>> {
    access_log::table
        .filter(access_log::seal_seq.gt(after_seq))
        .order(access_log::seal_seq.asc())
        .limit(limit)
        .select(AccessLogRow::as_select())
        .load(conn)
}

/// Walks every sealed row in seal order, in batches (memory stays flat at any size), and reports
/// the first row that was edited, removed or re-ordered; then holds the end of the chain to the
/// head and, when given, to a signed checkpoint (a cut tail).
pub fn verify(conn: &mut DbConnection) -> QueryResult<VerifyReport> {
    verify_against(conn, None)
}

pub fn verify_against(
    conn: &mut DbConnection,
    anchor: Option<&Anchor>,
) -> QueryResult<VerifyReport> {
    read_snapshot(conn, |conn| walk(conn, anchor))
}

/// Runs `f` in one read-only transaction that sees one snapshot (PostgreSQL: REPEATABLE READ;
/// SQLite in WAL mode: a read transaction), so that rows sealed while the walk runs do not look
/// like rows missing from the head.
fn read_snapshot<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
    }
    let result = f(conn);
    // Nothing was written: roll back either way.
    let end = match conn {
        DbConnection::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
        DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
    };
    let v = result?;
    end?;
    Ok(v)
}

fn walk(conn: &mut DbConnection, anchor: Option<&Anchor>) -> QueryResult<VerifyReport> {
    let h = head(conn)?;
    let (unsealed, oldest_unsealed) = unsealed(conn)?;
    let mut prev_hash = GENESIS.to_string();
    let mut seq = 0i64;
    let mut anchor_seen = false;
    let report = |rows: i64, head_hash: String, broken: Option<Broken>| VerifyReport {
        rows,
        head_hash,
        broken,
        unsealed,
        oldest_unsealed,
    };
    loop {
        let batch = sealed_after(conn, seq, BATCH)?;
        let n = batch.len() as i64;
        let named = subjects_of(conn, &batch)?;
        for r in batch {
            let at = r.seal_seq.unwrap_or_default();
            let expected = seq + 1;
            if at != expected {
                let b = Broken {
                    seal_seq: expected,
                    id: None,
                    reason: format!(
                        "the row sealed as number {expected} is missing (the next one found is number {at}, row {}): it was removed",
                        r.id
                    ),
                };
                return Ok(report(seq, prev_hash, Some(b)));
            }
            let bad = |reason: &str| Broken {
                seal_seq: expected,
                id: Some(r.id),
                reason: reason.to_string(),
            };
            if r.prev_hash.as_deref() != Some(prev_hash.as_str()) {
                let b = bad(
                    "it does not follow the row sealed before it: rows were re-ordered or removed",
                );
                return Ok(report(seq, prev_hash, Some(b)));
            }
            let hash = row_hash(&prev_hash, expected, h.legacy_seq, &fields(&r));
            if r.hash.as_deref() != Some(hash.as_str()) {
                let b = bad("its contents were changed");
                return Ok(report(seq, prev_hash, Some(b)));
            }
            if let Some(digest) = r.detail.as_deref().and_then(digest_in) {
                let list: Vec<&str> = named
                    .get(&r.id)
                    .map(|v| v.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                if subjects_digest(&subject_set(list)) != digest {
                    let b = bad("the citizens it names (access_log_subjects) were changed");
                    return Ok(report(seq, prev_hash, Some(b)));
                }
            }
            if let Some(a) = anchor
                && a.seal_seq == expected
            {
                anchor_seen = true;
                if a.hash != hash {
                    let b = bad(&format!(
                        "the chain differs from the signed checkpoint at number {expected}: the log was rewritten up to there"
                    ));
                    return Ok(report(seq, prev_hash, Some(b)));
                }
            }
            prev_hash = hash;
            seq = expected;
        }
        if n < BATCH {
            break;
        }
    }
    if let Some(a) = anchor
        && !anchor_seen
        && a.seal_seq > 0
    {
        let b = Broken {
            seal_seq: seq + 1,
            id: None,
            reason: format!(
                "the log was cut after seal_seq {seq}: a signed checkpoint says {} rows were sealed",
                a.seal_seq
            ),
        };
        return Ok(report(seq, prev_hash, Some(b)));
    }
    if h.last_seq != seq || h.last_hash != prev_hash {
        let b = Broken {
            seal_seq: seq + 1,
            id: None,
            reason: format!(
                "the chain ends at number {seq} but the head says {} rows were sealed: the last rows were removed",
                h.last_seq
            ),
        };
        return Ok(report(seq, prev_hash, Some(b)));
    }
    if let Some(b) = subject_without_entry(conn)? {
        return Ok(report(seq, prev_hash, Some(b)));
    }
    if let Some(b) = citizen_index_differs(conn)? {
        return Ok(report(seq, prev_hash, Some(b)));
    }
    if let Some(b) = case_index_differs(conn)? {
        return Ok(report(seq, prev_hash, Some(b)));
    }
    Ok(report(seq, prev_hash, None))
}

/// A subject row whose entry does not exist. Subject rows are written only by `append`, in its
/// entry's transaction (on PostgreSQL in the entry's own statement), and entries are never
/// deleted, so such a row was put there by hand. On
/// PostgreSQL no foreign key refuses it (it cost a lookup per citizen of every list view; see the
/// migration `subjects_fk_sqlite_only`), so this check stands in for it; on SQLite the key does,
/// unless foreign keys were switched off.
fn subject_without_entry(conn: &mut DbConnection) -> QueryResult<Option<Broken>> {
    use diesel::dsl::{exists, not};
    let stray: Option<i64> = access_log_subjects::table
        .filter(not(exists(
            access_log::table.filter(access_log::id.eq(access_log_subjects::entry_id)),
        )))
        .select(access_log_subjects::entry_id)
        .first(conn)
        .optional()?;
    Ok(stray.map(|id| Broken {
        seal_seq: 0,
        id: None,
        reason: format!(
            "a citizen is named (access_log_subjects) by entry {id}, which does not exist: the row was added by hand"
        ),
    }))
}

/// Whether SQLite's citizen index (`access_log_citizens`, up to its head) names exactly the
/// subject rows up to the head: an index row without its subject row, or a subject row the index
/// lacks, would make a citizen search show entries that do not name the citizen or miss entries
/// that do. The index is not part of the chain; this holds it to the subjects, which are (an
/// entry's digest covers a list's citizens). Nothing to compare on PostgreSQL (empty, head 0).
fn citizen_index_differs(conn: &mut DbConnection) -> QueryResult<Option<Broken>> {
    use diesel::dsl::{exists, not};
    let through = index_head(conn)?;
    // Every index row has its subject row, and none is past the head.
    let stray: Option<i64> = access_log_citizens::table
        .filter(
            access_log_citizens::entry_id.gt(through).or(not(exists(
                access_log_subjects::table
                    .filter(access_log_subjects::entry_id.eq(access_log_citizens::entry_id))
                    .filter(
                        access_log_subjects::personnummer.eq(access_log_citizens::personnummer),
                    ),
            ))),
        )
        .select(access_log_citizens::entry_id)
        .first(conn)
        .optional()?;
    if let Some(id) = stray {
        let reason = "the citizen index (access_log_citizens) names a citizen the entry does not name: it was changed";
        return Ok(Some(broken_entry(conn, id, reason)?));
    }
    // As many index rows as subject rows up to the head: with the above, the same rows.
    let indexed: i64 = access_log_citizens::table.count().get_result(conn)?;
    let subjects: i64 = access_log_subjects::table
        .filter(access_log_subjects::entry_id.le(through))
        .count()
        .get_result(conn)?;
    if indexed == subjects {
        return Ok(None);
    }
    let missing: Option<i64> = access_log_subjects::table
        .filter(access_log_subjects::entry_id.le(through))
        .filter(not(exists(
            access_log_citizens::table
                .filter(access_log_citizens::personnummer.eq(access_log_subjects::personnummer))
                .filter(access_log_citizens::entry_id.eq(access_log_subjects::entry_id)),
        )))
        .select(access_log_subjects::entry_id)
        .first(conn)
        .optional()?;
    let reason = "the citizen index (access_log_citizens) lacks a citizen the entry names: a search for that citizen would miss it; it was changed";
    Ok(Some(match missing {
        Some(id) => broken_entry(conn, id, reason)?,
        None => Broken {
            seal_seq: 0,
            id: None,
            reason: reason.to_string(),
        },
    }))
}

/// Whether SQLite's index by case (`access_log_cases`, up to the rounds' head) names exactly the
/// entries up to the head whose `object` is a case: an index row that does not match its entry, or
/// an entry it lacks, would make a search by case show entries about another case or miss some.
/// As the citizen index, it is not part of the chain; this holds it to the entries, which are.
/// Nothing to compare on PostgreSQL (it keeps its index on `object`; the table is empty).
fn case_index_differs(conn: &mut DbConnection) -> QueryResult<Option<Broken>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::sql_types::BigInt;
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return Ok(None);
    }
    let through = index_head(conn)?;
    // Every index row names its entry's case, and none is past the head.
    let stray: Option<Id> = diesel::sql_query(
        "SELECT x.entry_id AS id FROM access_log_cases x WHERE x.entry_id > ? OR NOT EXISTS \
         (SELECT 1 FROM access_log l WHERE l.id = x.entry_id AND l.object = 'case:' || x.case_id) \
         LIMIT 1",
    )
    .bind::<BigInt, _>(through)
    .get_result(conn)
    .optional()?;
    if let Some(Id { id }) = stray {
        let reason = "the index by case (access_log_cases) names a case the entry is not about: it was changed";
        return Ok(Some(broken_entry(conn, id, reason)?));
    }
    // As many index rows as entries about a case up to the head: with the above, the same rows.
    let indexed: Count =
        diesel::sql_query("SELECT count(*) AS n FROM access_log_cases").get_result(conn)?;
    let entries: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM access_log WHERE id <= ? AND {IS_CASE_OBJECT}"
    ))
    .bind::<BigInt, _>(through)
    .get_result(conn)?;
    if indexed.n == entries.n {
        return Ok(None);
    }
    let missing: Option<Id> = diesel::sql_query(format!(
        "SELECT l.id AS id FROM access_log l WHERE l.id <= ? AND {IS_CASE_OBJECT} AND NOT EXISTS \
         (SELECT 1 FROM access_log_cases x WHERE x.entry_id = l.id) LIMIT 1"
    ))
    .bind::<BigInt, _>(through)
    .get_result(conn)
    .optional()?;
    let reason = "the index by case (access_log_cases) lacks an entry about a case: a search for that case would miss it; it was changed";
    Ok(Some(match missing {
        Some(Id { id }) => broken_entry(conn, id, reason)?,
        None => Broken {
            seal_seq: 0,
            id: None,
            reason: reason.to_string(),
        },
    }))
}

/// A broken link at entry `id` (with its seal, if it has one), for `reason`.
fn broken_entry(conn: &mut DbConnection, id: i64, reason: &str) -> QueryResult<Broken> {
    let seal_seq: Option<i64> = access_log::table
        .find(id)
        .select(access_log::seal_seq)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    Ok(Broken {
        seal_seq: seal_seq.unwrap_or_default(),
        id: Some(id),
        reason: reason.to_string(),
    })
}

/// The subject rows of the entries in `rows` that carry a subject digest (list entries), by entry
/// id. A single-citizen entry's citizen is its `personnummer` column.
pub fn subjects_of(
    conn: &mut DbConnection,
    rows: &[AccessLogRow],
) -> QueryResult<std::collections::HashMap<i64, Vec<String>>> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.detail.as_deref().and_then(digest_in).is_some())
        .map(|r| r.id)
        .collect();
    let mut map: std::collections::HashMap<i64, Vec<String>> = Default::default();
    // Ids per statement: SQLite allows 32 766 values in one.
    for chunk in ids.chunks(10_000) {
        let found: Vec<(i64, String)> = access_log_subjects::table
            .filter(access_log_subjects::entry_id.eq_any(chunk))
            .select((
                access_log_subjects::entry_id,
                access_log_subjects::personnummer,
            ))
            .load(conn)?;
        for (id, p) in found {
            map.entry(id).or_default().push(p);
        }
    }
    Ok(map)
}

/// The first and last seal_seq of the sealed rows written in `[from, to)`, for an export: the
/// export takes the whole stretch of the chain between them, so that it can be verified alone.
pub fn seal_range(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Option<(i64, i64)>> {
    let (lo, hi): (Option<i64>, Option<i64>) = access_log::table
        .filter(access_log::at.ge(from))
        .filter(access_log::at.lt(to))
        .filter(access_log::seal_seq.is_not_null())
        .select((
            diesel::dsl::min(access_log::seal_seq),
            diesel::dsl::max(access_log::seal_seq),
        ))
        .first(conn)?;
    Ok(lo.zip(hi))
}

/// The newest entries first, for a page of the log.
pub fn latest(conn: &mut DbConnection, limit: i64, offset: i64) -> QueryResult<Vec<AccessLogRow>> {
    access_log::table
        .order(access_log::id.desc())
        .limit(limit)
        .offset(offset)
        .select(AccessLogRow::as_select())
        .load(conn)
}
