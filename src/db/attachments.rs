//! Scanned paper forms attached to cases (the files live outside the web root; see
//! `service::attachments`).

use super::DbConnection;
use super::schema::attachments;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i64,
    pub case_id: i64,
    pub filename: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by_user_id: Option<i64>,
    pub uploaded_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConnection,
    case_id: i64,
    filename: &str,
    size: i64,
    sha256: &str,
    key: &str,
    user_id: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::case_id.eq(case_id),
            attachments::filename.eq(filename),
            attachments::size_bytes.eq(size),
            attachments::sha256.eq(sha256),
            attachments::storage_key.eq(key),
            attachments::uploaded_by_user_id.eq(user_id),
            attachments::uploaded_at.eq(at),
        ))
        .execute(conn)?;
    attachments::table
        .filter(attachments::storage_key.eq(key))
        .select(attachments::id)
        .first(conn)
}

pub fn for_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<Attachment>> {
    on_backend!(conn, |c| attachments::table
        .filter(attachments::case_id.eq(case_id))
        .order(attachments::id.asc())
        .limit(100)
        .select(Attachment::as_select())
        .load(c))
}

/// How many attachments the case has. On PostgreSQL the case row is locked first, so that two
/// uploads in parallel number their forms one after the other (SQLite writers are serial anyway).
pub fn count_for_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<i64> {
    if let DbConnection::Pg(pg) = conn {
        use super::schema::cases;
        cases::table
            .find(case_id)
            .select(cases::id)
            .for_update()
            .first::<i64>(pg)?;
    }
    attachments::table
        .filter(attachments::case_id.eq(case_id))
        .count()
        .get_result(conn)
}

pub fn get(conn: &mut DbConnection, case_id: i64, id: i64) -> QueryResult<Option<Attachment>> {
    attachments::table
        .filter(attachments::case_id.eq(case_id))
        .filter(attachments::id.eq(id))
        .select(Attachment::as_select())
        .first(conn)
        .optional()
}

/// The case's attachments and its mail deliveries, each in id order, in one statement
/// ([`super::prepared::CaseFiles`]): the case page shows both.
pub fn with_deliveries(
    conn: &mut DbConnection,
    case_id: i64,
) -> QueryResult<(Vec<Attachment>, Vec<super::outbox::Delivery>)> {
    let q = super::prepared::CaseFiles { case_id };
    let rows: Vec<super::prepared::CaseFilesRow> = match conn {
        DbConnection::Sqlite(c) => q.load(c)?,
        DbConnection::Pg(c) => q.load(c)?,
    };
    let mut files = Vec::new();
    let mut deliveries = Vec::new();
    for (src, id, t1, t2, t3, t4, n1, n2, b, ts1, ts2) in rows {
        if src == "a" {
            files.push(Attachment {
                id,
                case_id,
                filename: t1,
                size_bytes: n1,
                sha256: t2,
                storage_key: t3,
                uploaded_by_user_id: n2,
                uploaded_at: ts2,
            });
        } else {
            deliveries.push(super::outbox::Delivery {
                id,
                kind: t1,
                case_id: Some(case_id),
                recipient: t2,
                encrypted: b,
                status: t3,
                attempts: i32::try_from(n1).unwrap_or(i32::MAX),
                last_error: t4,
                sent_at: ts1,
                created_at: ts2,
            });
        }
    }
    files.sort_by_key(|a| a.id);
    deliveries.sort_by_key(|d| d.id);
    Ok((files, deliveries))
}
