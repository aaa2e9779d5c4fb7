//! The case form as typed, and how it becomes a case: formats, references (units, providers;
//! the lock an unlock undoes is `references`) and the mandatory fields.

use super::*;
use crate::domain::provider::{Provider, ProviderKind};

/// The case form as typed (every field a string, so nothing typed is lost on an error).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CaseInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub citizen_pnr: String,
    #[serde(default)]
    pub citizen_name: String,
    #[serde(default)]
    pub citizen_protected: bool,
    #[serde(default)]
    pub citizen_contact: String,
    #[serde(default)]
    pub risk_kinds: Vec<String>,
    #[serde(default)]
    pub basis: Vec<String>,
    #[serde(default)]
    pub situations: Vec<String>,
    #[serde(default)]
    pub situation_other: String,
    #[serde(default)]
    pub assessment_reasons: String,
    #[serde(default)]
    pub assessment_risks: String,
    #[serde(default)]
    pub assessment_scope: String,
    #[serde(default)]
    pub requested_by: String,
    #[serde(default)]
    pub journal_note_date: String,
    #[serde(default)]
    pub chief_informed_date: String,
    #[serde(default)]
    pub chief_informed_whom: String,
    #[serde(default)]
    pub patient_informed_date: String,
    #[serde(default)]
    pub patient_not_informed_reason: String,
    /// Why the journal note is older than the setting allows (002 §3.3).
    #[serde(default)]
    pub journal_note_reason: String,
    #[serde(default)]
    pub journal_sealing: String,
    #[serde(default)]
    pub review_responsible_user_id: String,
    #[serde(default)]
    pub care_provider: String,
    #[serde(default)]
    pub related_case_id: String,
    #[serde(default)]
    pub arrival_date: String,
    /// Keyed in from a paper form: who signed it.
    #[serde(default)]
    pub decider_name: String,
    #[serde(default)]
    pub decider_hsa_id: String,
    #[serde(default)]
    pub decider_role: String,
    #[serde(default)]
    pub decided_on: String,
    /// Why a new lock is filed although the citizen is already locked or has an open lock case
    /// (asked for only then; `domain::locks::accept_new_lock`).
    #[serde(default)]
    pub duplicate_reason: String,
    /// A paper or API case from a unit without users here: the review-responsible person named.
    #[serde(default)]
    pub review_responsible_name: String,
    #[serde(default)]
    pub review_responsible_email: String,
    #[serde(default)]
    pub review_responsible_hsa_id: String,
    /// Linking a form to an emergency lock: the incoming case (paper or e-form) the form came
    /// as, withdrawn when it is linked.
    #[serde(default)]
    pub linked_from: String,
    #[serde(default)]
    pub version: i32,
}

impl CaseInput {
    /// The form filled from a stored case (for editing).
    pub fn from_row(r: &CaseRow, today: NaiveDate) -> CaseInput {
        let d = |x: Option<NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
        CaseInput {
            kind: r.kind.code().into(),
            unit_id: r.unit_id.to_string(),
            citizen_pnr: Personnummer::parse(&r.citizen_pnr, today)
                .map(|p| p.canonical())
                .unwrap_or_else(|_| r.citizen_pnr.clone()),
            // A protected citizen's name and contact data are never put back in a form (left
            // empty, they are kept as stored).
            citizen_name: if r.citizen_protected {
                String::new()
            } else {
                r.citizen_name.clone()
            },
            citizen_protected: r.citizen_protected,
            citizen_contact: if r.citizen_protected {
                String::new()
            } else {
                r.citizen_contact.clone()
            },
            risk_kinds: grounds::split(&r.risk_kinds),
            basis: grounds::split(&r.basis),
            situations: grounds::split(&r.situations),
            situation_other: r.situation_other.clone(),
            assessment_reasons: r.assessment_reasons.clone(),
            assessment_risks: r.assessment_risks.clone(),
            assessment_scope: r.assessment_scope.clone(),
            requested_by: r.requested_by.code().into(),
            journal_note_date: d(r.journal_note_date),
            chief_informed_date: d(r.chief_informed_date),
            chief_informed_whom: r.chief_informed_whom.clone(),
            patient_informed_date: d(r.patient_informed_date),
            patient_not_informed_reason: r.patient_not_informed_reason.clone(),
            journal_note_reason: r.journal_note_reason.clone(),
            // Unanswered stays unanswered: the form never answers "no" for the clinician.
            journal_sealing: match (r.journal_sealing_answered, r.journal_sealing_requested) {
                (false, _) => String::new(),
                (true, true) => "yes".into(),
                (true, false) => "no".into(),
            },
            review_responsible_user_id: r
                .review_responsible_user_id
                .map(|x| x.to_string())
                .unwrap_or_default(),
            care_provider: match r.care_provider_id {
                Some(p) => p.to_string(),
                None => "region".into(),
            },
            related_case_id: r.related_case_id.map(|x| x.to_string()).unwrap_or_default(),
            arrival_date: d(r.arrival_date),
            decider_name: r.decider_name.clone(),
            decider_hsa_id: r.decider_hsa_id.clone(),
            decider_role: r.decider_role.clone(),
            decided_on: d(r.decided_on),
            duplicate_reason: r.duplicate_reason.clone(),
            review_responsible_name: r.review_responsible_name.clone(),
            review_responsible_email: r.review_responsible_email.clone(),
            review_responsible_hsa_id: r.review_responsible_hsa_id.clone(),
            linked_from: String::new(),
            version: r.version,
        }
    }
}

pub(crate) fn parse_date(
    e: &mut FieldErrors,
    field: &'static str,
    value: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if d > today => {
            e.add(field, crate::messages::Key("case-err-date-future"));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field, crate::messages::Key("case-err-date-format"));
            None
        }
    }
}

pub(super) fn choices(
    e: &mut FieldErrors,
    field: &'static str,
    values: &[String],
    allowed: grounds::Choices,
) -> String {
    let mut v: Vec<String> = values
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v.dedup();
    if v.iter().any(|x| !grounds::is_choice(allowed, x)) {
        e.add(field, crate::messages::Key("case-err-choose-listed"));
    }
    grounds::join(&v)
}

/// Copies the typed form into the row, collecting format errors (not completeness: drafts may
/// be partial). Tampered references (a unit the actor does not belong to) are `Forbidden`.
pub(crate) fn apply_input(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor_role: Role,
    row: &mut CaseRow,
    input: &CaseInput,
) -> Result<FieldErrors, ServiceError> {
    let today = swedish_today(ctx);
    let mut e = FieldErrors::default();
    match input.kind.parse::<Kind>() {
        Ok(k) => row.kind = k,
        Err(_) if row.status == crate::domain::case::Status::Draft && row.id == 0 => {
            e.add("kind", crate::messages::Key("case-err-kind"))
        }
        Err(_) => {}
    }
    // The unit: one of the actor's own (a handler, or the intake API, may choose any active
    // unit). Another unit's id is a tampered form: refused and logged.
    match input.unit_id.trim().parse::<i64>() {
        Ok(uid) => match org::unit(conn, uid)?.filter(|u| u.active) {
            Some(u) => {
                let access = Access::FileCase { unit_id: uid };
                match crate::domain::policy::decide(&ctx.principal, access) {
                    Ok(_) => row.unit_id = uid,
                    Err(refusal) => {
                        return Err(ctx.denial(access, refusal, None, None, Some(u.code)));
                    }
                }
            }
            None => e.add("unit_id", crate::messages::Key("case-err-unit")),
        },
        Err(_) => e.add("unit_id", crate::messages::Key("case-err-unit")),
    }
    match Personnummer::parse(&input.citizen_pnr, today) {
        Ok(p) => row.citizen_pnr = p.digits(),
        Err(err) => {
            e.add("citizen_pnr", crate::messages::personnummer(err));
            row.citizen_pnr = input.citizen_pnr.trim().chars().take(20).collect();
        }
    }
    let keep_hidden = row.citizen_protected && input.citizen_protected;
    let name = text_field(
        &mut e,
        "citizen_name",
        &input.citizen_name,
        SHORT_MAX,
        false,
    );
    if !(keep_hidden && name.is_empty()) {
        row.citizen_name = name;
    }
    let contact = text_field(
        &mut e,
        "citizen_contact",
        &input.citizen_contact,
        SHORT_MAX,
        false,
    );
    if !(keep_hidden && contact.is_empty()) {
        row.citizen_contact = contact;
    }
    row.citizen_protected = input.citizen_protected;
    row.risk_kinds = choices(&mut e, "risk_kinds", &input.risk_kinds, RISKS);
    row.basis = choices(&mut e, "basis", &input.basis, BASIS);
    row.situations = choices(&mut e, "situations", &input.situations, SITUATIONS);
    row.situation_other = text_field(
        &mut e,
        "situation_other",
        &input.situation_other,
        SHORT_MAX,
        false,
    );
    row.assessment_reasons = text_field(
        &mut e,
        "assessment_reasons",
        &input.assessment_reasons,
        TEXT_MAX,
        false,
    );
    row.assessment_risks = text_field(
        &mut e,
        "assessment_risks",
        &input.assessment_risks,
        TEXT_MAX,
        false,
    );
    row.assessment_scope = text_field(
        &mut e,
        "assessment_scope",
        &input.assessment_scope,
        TEXT_MAX,
        false,
    );
    let rb = input.requested_by.trim();
    if rb.is_empty() || grounds::is_choice(REQUESTED_BY, rb) {
        row.requested_by = rb.parse().unwrap_or(RequestedBy::Staff);
    } else {
        e.add(
            "requested_by",
            crate::messages::Key("case-err-requested-by"),
        );
    }
    row.journal_note_date =
        parse_date(&mut e, "journal_note_date", &input.journal_note_date, today);
    row.chief_informed_date = parse_date(
        &mut e,
        "chief_informed_date",
        &input.chief_informed_date,
        today,
    );
    row.chief_informed_whom = text_field(
        &mut e,
        "chief_informed_whom",
        &input.chief_informed_whom,
        SHORT_MAX,
        false,
    );
    row.patient_informed_date = parse_date(
        &mut e,
        "patient_informed_date",
        &input.patient_informed_date,
        today,
    );
    let ni = input.patient_not_informed_reason.trim();
    if ni.is_empty() || grounds::is_choice(NOT_INFORMED, ni) {
        row.patient_not_informed_reason = ni.into();
    } else {
        e.add(
            "patient_not_informed_reason",
            crate::messages::Key("case-err-reason"),
        );
    }
    row.journal_note_reason = text_field(
        &mut e,
        "journal_note_reason",
        &input.journal_note_reason,
        SHORT_MAX,
        false,
    );
    match (
        input.journal_sealing.trim(),
        crate::domain::journal::sealing_answer(&input.journal_sealing),
    ) {
        (_, Some(yes)) => {
            row.journal_sealing_answered = true;
            row.journal_sealing_requested = yes;
        }
        ("", None) => {
            row.journal_sealing_answered = false;
            row.journal_sealing_requested = false;
        }
        (_, None) => e.add("journal_sealing", crate::messages::Key("case-err-yes-no")),
    }
    row.arrival_date = parse_date(&mut e, "arrival_date", &input.arrival_date, today);
    // Review responsible: an active member of the unit — or, on a paper or API case from a unit
    // without users here, a person named with e-mail and HSA-ID.
    row.review_responsible_user_id = match input.review_responsible_user_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(uid) if users::is_member(conn, uid, row.unit_id)? => Some(uid),
            _ => {
                e.add(
                    "review_responsible_user_id",
                    crate::messages::Key("case-err-unit-person"),
                );
                None
            }
        },
    };
    named_responsible(conn, &mut e, row, input)?;
    // Care provider: the region, another public provider (region, municipality), or a private
    // provider on the approved list.
    row.care_provider_id = match input.care_provider.trim() {
        "" | "region" => None,
        s => match s
            .parse::<i64>()
            .ok()
            .map(|id| org::provider(conn, id))
            .transpose()?
            .flatten()
        {
            Some(p) if provider_may_sign(&p) => Some(p.id),
            _ => {
                e.add("care_provider", crate::messages::PROVIDER_NOT_ALLOWED);
                None
            }
        },
    };
    // Unlock: an executed lock of the same citizen still in force (`domain::locks`), of a unit
    // the actor may see.
    row.related_case_id = match (row.kind, input.related_case_id.trim()) {
        (Kind::Lock, _) | (_, "") => None,
        (_, s) => {
            let checked = match s.parse::<i64>() {
                Ok(id) => unlock_reference(conn, ctx, actor_role, &row.citizen_pnr, id)?,
                Err(_) => Err(locks::UnlockRefError::Unknown),
            };
            match checked {
                Ok(id) => Some(id),
                Err(err) => {
                    e.add("related_case_id", crate::messages::unlock_ref(err));
                    None
                }
            }
        }
    };
    if row.kind == crate::domain::case::Kind::Unlock
        && row.related_case_id.is_none()
        && !row.citizen_pnr.is_empty()
    {
        row.related_case_id = proposed_locks(conn, ctx, actor_role, &row.citizen_pnr)?
            .first()
            .map(|c| c.id);
    }
    Ok(e)
}

/// Whether a provider on the admin's list may sign a form: while its entry is active (for a
/// private provider: on the approved list, 002 §6.10; a public one is simply registered).
pub(crate) fn provider_may_sign(p: &CareProvider) -> bool {
    p.approved
}

/// The case's provider as the checklist sees it.
pub(crate) fn provider_facts(p: Option<&CareProvider>) -> Provider {
    match p {
        None => Provider::Region,
        Some(p) => Provider::Outside {
            kind: ProviderKind::parse(&p.kind).unwrap_or(ProviderKind::Private),
            regional_id: p.regional_id,
        },
    }
}

/// The journal note's date against the decision's (002 §3.3): not after it, and not more than
/// the setting's days before it without a reason. Errors go beside `journal_note_date`.
pub(crate) fn check_journal_note(
    e: &mut FieldErrors,
    row: &CaseRow,
    decision: NaiveDate,
    max_age_days: u32,
) {
    if let Some(note) = row.journal_note_date
        && let Err(p) = crate::domain::journal::check_note_date(
            note,
            decision,
            max_age_days,
            !row.journal_note_reason.is_empty(),
        )
        && e.get("journal_note_date").is_none()
    {
        e.add("journal_note_date", crate::messages::note_date(p));
    }
}

/// The review-responsible person named by name, e-mail and HSA-ID (no user chosen): allowed on
/// paper and API cases from a unit that has no users in Kontospärr.
fn named_responsible(
    conn: &mut DbConnection,
    e: &mut FieldErrors,
    row: &mut CaseRow,
    input: &CaseInput,
) -> Result<(), ServiceError> {
    row.review_responsible_name.clear();
    row.review_responsible_email.clear();
    row.review_responsible_hsa_id.clear();
    let typed = [
        &input.review_responsible_name,
        &input.review_responsible_email,
        &input.review_responsible_hsa_id,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    if !typed || row.review_responsible_user_id.is_some() || row.kind != Kind::Lock {
        return Ok(());
    }
    if !matches!(
        row.channel,
        Channel::Paper | Channel::Api | Channel::Emergency
    ) {
        e.add(
            "review_responsible_name",
            crate::messages::Key("case-err-review-person"),
        );
        return Ok(());
    }
    if row.unit_id != 0 && !users::members_of(conn, row.unit_id)?.is_empty() {
        e.add(
            "review_responsible_name",
            crate::messages::Key("case-err-review-person-listed"),
        );
        return Ok(());
    }
    let name = crate::service::line_field(
        e,
        "review_responsible_name",
        &input.review_responsible_name,
        SHORT_MAX,
        true,
    );
    let email = input.review_responsible_email.trim().to_string();
    if !crate::domain::validate::email(&email) {
        e.add("review_responsible_email", crate::messages::EMAIL_INVALID);
    }
    let hsa = match crate::domain::HsaId::parse(&input.review_responsible_hsa_id) {
        Ok(h) => h.to_string(),
        Err(err) => {
            e.add("review_responsible_hsa_id", crate::messages::hsa_id(err));
            String::new()
        }
    };
    row.review_responsible_name = name;
    row.review_responsible_email = email.chars().take(254).collect();
    row.review_responsible_hsa_id = hsa;
    Ok(())
}

/// The mandatory fields still missing (for signing and submitting).
pub fn missing_fields(row: &CaseRow) -> FieldErrors {
    let mut e = FieldErrors::default();
    let req = crate::messages::REQUIRED;
    if row.citizen_pnr.len() != 12 {
        e.add("citizen_pnr", req);
    }
    if row.citizen_name.is_empty() {
        e.add("citizen_name", req);
    }
    if row.kind == crate::domain::case::Kind::Lock {
        if row.risk_kinds.is_empty() {
            e.add("risk_kinds", crate::messages::Key("case-err-risks"));
        }
        if row.basis.is_empty() {
            e.add("basis", crate::messages::Key("case-err-basis"));
        }
        if row.situations.is_empty() {
            e.add("situations", crate::messages::Key("case-err-situations"));
        }
        if grounds::split(&row.situations).iter().any(|s| s == "other")
            && row.situation_other.is_empty()
        {
            e.add(
                "situation_other",
                crate::messages::Key("case-err-situation-other"),
            );
        }
        if row.review_responsible_user_id.is_none() && row.review_responsible_name.is_empty() {
            e.add(
                "review_responsible_user_id",
                crate::messages::Key("case-err-review-responsible"),
            );
        }
    } else if row.related_case_id.is_none() {
        e.add("related_case_id", crate::messages::Key("case-err-related"));
    }
    for (f, v) in [
        ("assessment_reasons", &row.assessment_reasons),
        ("assessment_risks", &row.assessment_risks),
        ("assessment_scope", &row.assessment_scope),
    ] {
        if v.is_empty() {
            e.add(f, req);
        }
    }
    if row.journal_note_date.is_none() {
        e.add(
            "journal_note_date",
            crate::messages::Key("case-err-journal-date"),
        );
    }
    if !row.journal_sealing_answered {
        e.add("journal_sealing", crate::messages::Key("case-err-sealing"));
    }
    if row.chief_informed_date.is_none() {
        e.add(
            "chief_informed_date",
            crate::messages::Key("case-err-chief-date"),
        );
    }
    if row.chief_informed_whom.is_empty() {
        e.add(
            "chief_informed_whom",
            crate::messages::Key("case-err-chief-whom"),
        );
    }
    match (
        row.patient_informed_date.is_some(),
        row.patient_not_informed_reason.is_empty(),
    ) {
        (false, true) => e.add(
            "patient_informed_date",
            crate::messages::Key("case-err-patient-informed"),
        ),
        (true, false) => e.add(
            "patient_not_informed_reason",
            crate::messages::Key("case-err-date-or-reason"),
        ),
        _ => {}
    }
    e
}
