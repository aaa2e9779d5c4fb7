//! The intake API for e-form platforms (Barium): a token-authenticated client files a submitted
//! case with the same validation as the web form; an idempotency key makes a retried request
//! return the first case instead of making a second.

use super::cases::{self, CaseInput};
use super::{Ctx, FieldErrors, Msg, ServiceError, text_field};
use crate::auth::tokens;
use crate::db::api::{self, ApiClient};
use crate::db::{self, DbConnection, org, users};
use crate::domain::case::{self as lifecycle, Action, ActorKind, Facts, Kind};
use crate::domain::{HsaId, Role};
use sha2::{Digest, Sha256};

/// The JSON body of `POST /api/v1/arenden` (see the OpenAPI document).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    pub kind: String,
    pub unit_code: String,
    pub citizen_personnummer: String,
    pub citizen_name: String,
    #[serde(default)]
    pub citizen_protected: bool,
    #[serde(default)]
    pub risk_kinds: Vec<String>,
    #[serde(default)]
    pub basis: Vec<String>,
    #[serde(default)]
    pub situations: Vec<String>,
    #[serde(default)]
    pub situation_other: String,
    pub assessment_reasons: String,
    pub assessment_risks: String,
    pub assessment_scope: String,
    #[serde(default)]
    pub requested_by: String,
    pub journal_note_date: String,
    pub chief_informed_date: String,
    pub chief_informed_whom: String,
    #[serde(default)]
    pub patient_informed_date: String,
    #[serde(default)]
    pub patient_not_informed_reason: String,
    /// Must be answered (true or false): journal sealing is requested separately (002 §3.3).
    #[serde(default)]
    pub journal_sealing_requested: Option<bool>,
    /// Why the journal note is older than the region's setting allows.
    #[serde(default)]
    pub journal_note_reason: String,
    #[serde(default)]
    pub review_responsible_hsa_id: String,
    /// A unit without users in Kontospärr names its review-responsible person instead (with
    /// `review_responsible_hsa_id`).
    #[serde(default)]
    pub review_responsible_name: String,
    #[serde(default)]
    pub review_responsible_email: String,
    #[serde(default)]
    pub care_provider_org_number: String,
    #[serde(default)]
    pub related_diary_number: String,
    pub decider_name: String,
    pub decider_hsa_id: String,
    pub decider_role: String,
    pub decided_on: String,
}

pub const KEY_MAX: usize = 100;

/// Creates an API client and returns its token (shown once; only the digest is stored).
pub fn create_client(
    conn: &mut DbConnection,
    ctx: &Ctx,
    name: &str,
) -> Result<String, ServiceError> {
    let mut e = FieldErrors::default();
    let name = text_field(&mut e, "name", name, 100, true);
    e.into_result()?;
    let token = format!("ks_{}", tokens::random_token());
    db::write_tx(conn, |c| {
        api::insert_client(c, &name, &tokens::digest(&token), db::ts(ctx.now))?;
        let mut entry = ctx.entry(
            Some(Role::Admin),
            "api_client_created",
            Some(format!("api_client:{name}")),
        );
        entry.detail = None;
        ctx.log(c, &entry)?;
        Ok(token)
    })
}

pub fn client_for_token(
    conn: &mut DbConnection,
    token: &str,
) -> Result<Option<ApiClient>, ServiceError> {
    Ok(api::client_by_token(conn, &tokens::digest(token))?)
}

/// Digest of the request body, to tell a retry from a different request under the same key.
pub fn request_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

pub struct Filed {
    pub case_id: i64,
    /// False when this was a retry of an earlier request.
    pub created: bool,
}

pub fn file_case(
    conn: &mut DbConnection,
    ctx: &Ctx,
    client: &ApiClient,
    key: &str,
    digest: &str,
    req: &IntakeRequest,
    journal_note_max_age_days: u32,
) -> Result<Filed, ServiceError> {
    let key = key.trim();
    if key.is_empty() || key.len() > KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        let mut e = FieldErrors::default();
        e.add(
            "Idempotency-Key",
            crate::messages::Key("case-err-idempotency-key"),
        );
        return Err(ServiceError::Invalid(e));
    }
    let result = db::write_tx(conn, |c| {
        file_in_tx(c, ctx, client, key, digest, req, journal_note_max_age_days)
    });
    match result {
        // Two identical requests at once: the second lost the race on the key; answer as a retry.
        Err(ServiceError::Db(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) => match api::request(conn, client.id, key)? {
            Some((h, case_id)) if h == digest => Ok(Filed {
                case_id,
                created: false,
            }),
            _ => Err(ServiceError::Conflict(Msg::key("case-msg-idempotency"))),
        },
        other => other,
    }
}

fn file_in_tx(
    c: &mut DbConnection,
    ctx: &Ctx,
    client: &ApiClient,
    key: &str,
    digest: &str,
    req: &IntakeRequest,
    journal_note_max_age_days: u32,
) -> Result<Filed, ServiceError> {
    if let Some((h, case_id)) = api::request(c, client.id, key)? {
        return if h == digest {
            Ok(Filed {
                case_id,
                created: false,
            })
        } else {
            Err(ServiceError::Conflict(Msg::key("case-msg-idempotency")))
        };
    }
    let mut e = FieldErrors::default();
    let unit =
        org::unit_by_code(c, &req.unit_code.trim().to_ascii_uppercase())?.filter(|u| u.active);
    if unit.is_none() {
        e.add("unit_code", crate::messages::Key("case-err-unit-unknown"));
    }
    let responsible = match req.review_responsible_hsa_id.trim() {
        "" => String::new(),
        h => match HsaId::parse(h)
            .ok()
            .map(|h| users::by_hsa_id(c, h.as_str()))
            .transpose()?
            .flatten()
        {
            Some(u) => u.id.to_string(),
            // Named instead (a unit without users here): `apply_input` checks the person.
            None if !req.review_responsible_name.trim().is_empty() => String::new(),
            None => {
                e.add(
                    "review_responsible_hsa_id",
                    crate::messages::Key("case-err-no-user-hsa"),
                );
                String::new()
            }
        },
    };
    let provider = match req.care_provider_org_number.trim() {
        "" => "region".to_string(),
        o => match crate::domain::validate::org_number(o)
            .map(|o| org::provider_by_org(c, &o))
            .transpose()?
            .flatten()
        {
            Some(p) if cases::provider_may_sign(&p) => p.id.to_string(),
            _ => {
                e.add(
                    "care_provider_org_number",
                    crate::messages::PROVIDER_NOT_ALLOWED,
                );
                String::new()
            }
        },
    };
    let related = match req.related_diary_number.trim() {
        "" => String::new(),
        n => match crate::db::cases::by_diary_number(c, n)? {
            Some(r) => r.id.to_string(),
            None => {
                e.add(
                    "related_diary_number",
                    crate::messages::Key("case-err-no-diary-case"),
                );
                String::new()
            }
        },
    };
    let input = CaseInput {
        kind: req.kind.clone(),
        unit_id: unit.as_ref().map(|u| u.id.to_string()).unwrap_or_default(),
        citizen_pnr: req.citizen_personnummer.clone(),
        citizen_name: req.citizen_name.clone(),
        citizen_protected: req.citizen_protected,
        citizen_contact: String::new(),
        risk_kinds: req.risk_kinds.clone(),
        basis: req.basis.clone(),
        situations: req.situations.clone(),
        situation_other: req.situation_other.clone(),
        assessment_reasons: req.assessment_reasons.clone(),
        assessment_risks: req.assessment_risks.clone(),
        assessment_scope: req.assessment_scope.clone(),
        requested_by: req.requested_by.clone(),
        journal_note_date: req.journal_note_date.clone(),
        chief_informed_date: req.chief_informed_date.clone(),
        chief_informed_whom: req.chief_informed_whom.clone(),
        patient_informed_date: req.patient_informed_date.clone(),
        patient_not_informed_reason: req.patient_not_informed_reason.clone(),
        journal_note_reason: req.journal_note_reason.clone(),
        journal_sealing: match req.journal_sealing_requested {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        review_responsible_user_id: responsible.clone(),
        care_provider: provider,
        related_case_id: related,
        arrival_date: String::new(),
        decider_name: req.decider_name.clone(),
        decider_hsa_id: req.decider_hsa_id.clone(),
        decider_role: req.decider_role.clone(),
        decided_on: req.decided_on.clone(),
        duplicate_reason: String::new(),
        review_responsible_name: if responsible.is_empty() {
            req.review_responsible_name.clone()
        } else {
            String::new()
        },
        review_responsible_email: if responsible.is_empty() {
            req.review_responsible_email.clone()
        } else {
            String::new()
        },
        review_responsible_hsa_id: if responsible.is_empty() {
            req.review_responsible_hsa_id.clone()
        } else {
            String::new()
        },
        linked_from: String::new(),
        version: 1,
    };
    let kind = req.kind.parse::<Kind>().unwrap_or(Kind::Lock);
    if req.kind.parse::<Kind>().is_err() {
        e.add("kind", crate::messages::Key("case-err-api-kind"));
    }
    let mut row = cases::blank_row(ctx, kind, crate::domain::case::Channel::Api);
    let input_errors = cases::apply_input(c, ctx, Role::Clinician, &mut row, &input)?;
    for (f, m) in input_errors.0 {
        e.add(api_field(f), m);
    }
    let today = cases::swedish_today(ctx);
    row.decider_name = text_field(
        &mut e,
        "decider_name",
        &req.decider_name,
        cases::SHORT_MAX,
        true,
    );
    (row.decider_role, row.decider_hsa_id) =
        cases::validate_decider(&mut e, &req.decider_role, &req.decider_hsa_id, true);
    row.decided_on = cases::parse_date(&mut e, "decided_on", &req.decided_on, today);
    match row.decided_on {
        None => {
            if e.get("decided_on").is_none() {
                e.add("decided_on", crate::messages::REQUIRED);
            }
        }
        Some(d) => cases::check_journal_note(&mut e, &row, d, journal_note_max_age_days),
    }
    for (f, m) in cases::missing_fields(&row).0 {
        e.add(api_field(f), m);
    }
    e.into_result()?;
    // The platform has the decider's signature: the case arrives submitted.
    let facts = Facts {
        actor: ActorKind::UnitStaff,
        actor_is_decider: true,
        signed: true,
        complete: true,
        checklist_done: false,
        lifted: false,
    };
    let s = lifecycle::transition(None, Action::Create, facts)
        .and_then(|s| lifecycle::transition(Some(s), Action::Submit, facts))
        .map_err(|e| ServiceError::Refused(crate::messages::transition(&e)))?;
    row.status = s;
    row.submitted_at = Some(db::ts(ctx.now));
    let id = crate::db::cases::insert(c, &row)?;
    row.id = id;
    api::insert_request(c, client.id, key, digest, id, db::ts(ctx.now))?;
    cases::record_msg(
        c,
        ctx,
        &row,
        None,
        "case_api_intake",
        Some((
            "Tog emot begäran från e-tjänst",
            Msg::key("case-detail-intake").arg("client", client.name.as_str()),
        )),
    )?;
    Ok(Filed {
        case_id: id,
        created: true,
    })
}

/// The API names its fields as the JSON does.
fn api_field(form_field: &'static str) -> &'static str {
    match form_field {
        "unit_id" => "unit_code",
        "citizen_pnr" => "citizen_personnummer",
        "journal_sealing" => "journal_sealing_requested",
        "review_responsible_user_id" => "review_responsible_hsa_id",
        "care_provider" => "care_provider_org_number",
        "related_case_id" => "related_diary_number",
        f => f,
    }
}
