//! Clients of the intake API and their idempotency keys.

use super::DbConnection;
use super::schema::{api_clients, api_requests};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients)]
pub struct ApiClient {
    pub id: i64,
    pub name: String,
    pub token_hash: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert_client(
    conn: &mut DbConnection,
    name: &str,
    token_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(api_clients::table)
        .values((
            api_clients::name.eq(name),
            api_clients::token_hash.eq(token_hash),
            api_clients::active.eq(true),
            api_clients::created_at.eq(at),
        ))
        .execute(conn)?;
    api_clients::table
        .filter(api_clients::name.eq(name))
        .select(api_clients::id)
        .first(conn)
}

pub fn client_by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<ApiClient>> {
    api_clients::table
        .filter(api_clients::token_hash.eq(token_hash))
        .filter(api_clients::active.eq(true))
        .select(ApiClient::as_select())
        .first(conn)
        .optional()
}

/// The earlier request with this key: (request hash, case id).
pub fn request(
    conn: &mut DbConnection,
    client_id: i64,
    key: &str,
) -> QueryResult<Option<(String, i64)>> {
    api_requests::table
        .find((client_id, key))
        .select((api_requests::request_hash, api_requests::case_id))
        .first(conn)
        .optional()
}

pub fn insert_request(
    conn: &mut DbConnection,
    client_id: i64,
    key: &str,
    request_hash: &str,
    case_id: i64,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(api_requests::table)
        .values((
            api_requests::client_id.eq(client_id),
            api_requests::idempotency_key.eq(key),
            api_requests::request_hash.eq(request_hash),
            api_requests::case_id.eq(case_id),
            api_requests::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}
