//! Rows as stored.

use super::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub hsa_id: String,
    pub name: String,
    pub email: String,
    pub is_decider: bool,
    pub active: bool,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub hsa_id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub is_decider: bool,
    pub active: bool,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub manager_user_id: Option<i64>,
    pub chief_physician_function: String,
    pub chief_physician_email: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = care_providers)]
pub struct CareProvider {
    pub id: i64,
    pub name: String,
    pub org_number: String,
    pub approved: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub stage: String,
    pub csrf_token: String,
    pub pending_totp_secret: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub client_addr: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_log)]
pub struct AccessLogRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_hsa_id: Option<String>,
    pub role: Option<String>,
    pub unit_code: Option<String>,
    pub action: String,
    pub object: Option<String>,
    pub personnummer: Option<String>,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}
