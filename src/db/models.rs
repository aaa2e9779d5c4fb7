//! Rows as stored.

use super::schema::*;
use chrono::{NaiveDate, NaiveDateTime};
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
    /// The interface and mail language the user chose (`sv`, `en`).
    pub lang: String,
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
    /// The unit's medicinskt ansvarig läkare (MAL), a decider of 002 §3.1.
    pub medical_lead_user_id: Option<i64>,
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
    /// `private` or `public` (`domain::provider::ProviderKind`).
    pub kind: String,
    /// Its signers have the region's id: no identity check by phone (002 §6.9).
    pub regional_id: bool,
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
    pub login_method: Option<String>,
    pub oidc_pending: Option<String>,
    pub id_token: Option<String>,
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
    /// NULL until the sealer chains the row.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// The row's place in the chain; NULL until sealed.
    pub seal_seq: Option<i64>,
}

/// A case as the lists show it (case list, queue, search, reviews, start page): the columns they
/// read and nothing more. A list reads 51 rows per view, inside the write transaction that logs
/// them; the whole row has some thirty text fields, and allocating and copying them was a tenth of
/// a list view's time (bench/http, `perf`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseSummary {
    pub id: i64,
    pub kind: crate::domain::case::Kind,
    pub status: crate::domain::case::Status,
    pub channel: crate::domain::case::Channel,
    pub unit_id: i64,
    pub citizen_pnr: String,
    pub citizen_name: String,
    pub citizen_protected: bool,
    pub diary_number: Option<String>,
    pub review_due: Option<NaiveDate>,
    pub submitted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<CaseRow> for CaseSummary {
    fn from(r: CaseRow) -> CaseSummary {
        CaseSummary {
            id: r.id,
            kind: r.kind,
            status: r.status,
            channel: r.channel,
            unit_id: r.unit_id,
            citizen_pnr: r.citizen_pnr,
            citizen_name: r.citizen_name,
            citizen_protected: r.citizen_protected,
            diary_number: r.diary_number,
            review_due: r.review_due,
            submitted_at: r.submitted_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A case row. Every content field is here; `service::cases` gives it meaning.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cases)]
#[diesel(treat_none_as_null = true)]
pub struct CaseRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub kind: crate::domain::case::Kind,
    pub status: crate::domain::case::Status,
    pub version: i32,
    pub channel: crate::domain::case::Channel,
    pub unit_id: i64,
    pub care_provider_id: Option<i64>,
    pub citizen_pnr: String,
    pub citizen_name: String,
    pub citizen_protected: bool,
    pub citizen_contact: String,
    pub risk_kinds: String,
    pub basis: String,
    pub situations: String,
    pub situation_other: String,
    pub assessment_reasons: String,
    pub assessment_risks: String,
    pub assessment_scope: String,
    pub requested_by: crate::domain::case::RequestedBy,
    pub decider_user_id: Option<i64>,
    pub decider_name: String,
    pub decider_role: String,
    pub decider_hsa_id: String,
    pub decided_on: Option<NaiveDate>,
    pub journal_note_date: Option<NaiveDate>,
    pub chief_informed_date: Option<NaiveDate>,
    pub chief_informed_whom: String,
    pub patient_informed_date: Option<NaiveDate>,
    pub patient_not_informed_reason: String,
    pub journal_sealing_requested: bool,
    pub review_responsible_user_id: Option<i64>,
    pub related_case_id: Option<i64>,
    pub diary_year: Option<i32>,
    pub diary_seq: Option<i64>,
    pub diary_number: Option<String>,
    pub helpdesk_ref: String,
    pub plexus_ref: String,
    pub arrival_date: Option<NaiveDate>,
    pub return_reason: String,
    pub withdraw_reason: String,
    pub caller_name: String,
    pub caller_phone: String,
    pub caller_email: String,
    pub form_linked_at: Option<NaiveDateTime>,
    pub executed_at: Option<NaiveDateTime>,
    pub executed_by_user_id: Option<i64>,
    pub review_due: Option<NaiveDate>,
    pub submitted_at: Option<NaiveDateTime>,
    pub created_by_user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Why the journal note is older than the setting allows (empty when it is not).
    pub journal_note_reason: String,
    /// Whether journal sealing was answered at all (`journal_sealing_requested` holds the answer).
    pub journal_sealing_answered: bool,
    /// Why a new lock was accepted for a citizen already locked or with an open lock case.
    pub duplicate_reason: String,
    /// A review-responsible person named on a paper or API case (a unit without users here).
    pub review_responsible_name: String,
    pub review_responsible_email: String,
    pub review_responsible_hsa_id: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_events)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub detail: String,
    /// The detail as a catalog message (`Msg::to_stored`), worded when read; None for entries
    /// written before messages were stored, and for details that are data only.
    pub detail_msg: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_checks)]
pub struct CaseCheck {
    pub case_id: i64,
    pub item: String,
    pub done_by_user_id: i64,
    pub done_by_name: String,
    pub done_at: NaiveDateTime,
    pub note: String,
}
