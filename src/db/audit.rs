//! The access log table: append inside the caller's transaction, verify the chain.

use super::DbConnection;
use super::models::AccessLogRow;
use super::schema::{access_log, access_log_head};
use crate::domain::audit::{EntryFields, entry_hash};
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    pub detail: Option<String>,
}

/// Appends one entry. Must run inside the transaction of the work it records: the head row is
/// locked first (a row lock on PostgreSQL; SQLite has one writer), so entries chain in order.
pub fn append(conn: &mut DbConnection, at: NaiveDateTime, e: &NewEntry) -> QueryResult<i64> {
    diesel::update(access_log_head::table.find(1))
        .set(access_log_head::last_id.eq(access_log_head::last_id))
        .execute(conn)?;
    let (last_id, last_hash): (i64, String) = access_log_head::table
        .find(1)
        .select((access_log_head::last_id, access_log_head::last_hash))
        .first(conn)?;
    let id = last_id + 1;
    let fields = EntryFields {
        id,
        at,
        user_hsa_id: e.user_hsa_id.as_deref(),
        role: e.role.as_deref(),
        unit_code: e.unit_code.as_deref(),
        action: &e.action,
        object: e.object.as_deref(),
        personnummer: e.personnummer.as_deref(),
        client_addr: e.client_addr.as_deref(),
        detail: e.detail.as_deref(),
    };
    let hash = entry_hash(&last_hash, &fields);
    diesel::insert_into(access_log::table)
        .values((
            access_log::id.eq(id),
            access_log::at.eq(at),
            access_log::user_hsa_id.eq(&e.user_hsa_id),
            access_log::role.eq(&e.role),
            access_log::unit_code.eq(&e.unit_code),
            access_log::action.eq(&e.action),
            access_log::object.eq(&e.object),
            access_log::personnummer.eq(&e.personnummer),
            access_log::client_addr.eq(&e.client_addr),
            access_log::detail.eq(&e.detail),
            access_log::prev_hash.eq(&last_hash),
            access_log::hash.eq(&hash),
        ))
        .execute(conn)?;
    diesel::update(access_log_head::table.find(1))
        .set((
            access_log_head::last_id.eq(id),
            access_log_head::last_hash.eq(&hash),
        ))
        .execute(conn)?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The id of the first row that does not fit the chain.
    pub id: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub rows: i64,
    pub head_hash: String,
    pub broken: Option<Broken>,
}

const BATCH: i64 = 5_000;

/// Walks the whole log in id order, in batches (memory stays flat at any size), and reports the
/// first row that was changed, inserted out of order or removed.
pub fn verify(conn: &mut DbConnection) -> QueryResult<VerifyReport> {
    let mut prev_hash = crate::domain::audit::GENESIS.to_string();
    let mut expected_id = 1i64;
    let mut rows = 0i64;
    loop {
        let batch: Vec<AccessLogRow> = access_log::table
            .filter(access_log::id.ge(expected_id))
            .order(access_log::id.asc())
            .limit(BATCH)
            .select(AccessLogRow::as_select())
            .load(conn)?;
        let n = batch.len() as i64;
        for r in batch {
            let broken = |reason: String| Broken { id: r.id, reason };
            if r.id != expected_id {
                return Ok(VerifyReport {
                    rows,
                    head_hash: prev_hash,
                    broken: Some(Broken {
                        id: expected_id,
                        reason: format!("row {expected_id} is missing (next row is {})", r.id),
                    }),
                });
            }
            if r.prev_hash != prev_hash {
                return Ok(VerifyReport {
                    rows,
                    head_hash: prev_hash,
                    broken: Some(broken("its link to the previous row was changed".into())),
                });
            }
            let fields = EntryFields {
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
            };
            if entry_hash(&prev_hash, &fields) != r.hash {
                return Ok(VerifyReport {
                    rows,
                    head_hash: prev_hash,
                    broken: Some(broken("its contents were changed".into())),
                });
            }
            prev_hash = r.hash;
            expected_id += 1;
            rows += 1;
        }
        if n < BATCH {
            break;
        }
    }
    let (last_id, last_hash): (i64, String) = access_log_head::table
        .find(1)
        .select((access_log_head::last_id, access_log_head::last_hash))
        .first(conn)?;
    if last_id != rows || last_hash != prev_hash {
        return Ok(VerifyReport {
            rows,
            head_hash: prev_hash,
            broken: Some(Broken {
                id: rows + 1,
                reason: format!(
                    "the log ends at row {rows} but {last_id} rows were written: the last rows were removed"
                ),
            }),
        });
    }
    Ok(VerifyReport {
        rows,
        head_hash: prev_hash,
        broken: None,
    })
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
