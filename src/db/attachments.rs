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
