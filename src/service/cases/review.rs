//! The three-month review (instruction 002 §4.2, §9): keep locked, or open an unlock.

use super::*;
use crate::db::reminders::{self, NewReview};
use crate::domain::review;

/// The review decision as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReviewInput {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub patient_informed_date: String,
    #[serde(default)]
    pub patient_not_informed_reason: String,
    #[serde(default)]
    pub note: String,
    /// The case's version when the page was shown (a review of a case that changed since is a
    /// conflict, like every other step).
    #[serde(default)]
    pub version: Option<i32>,
}

#[derive(Debug)]
pub enum Reviewed {
    /// Kept locked; the next review date.
    Kept(chrono::NaiveDate),
    /// An unlock draft was opened (its id).
    Unlock(i64),
}

/// Records the review of a lock: keep it (next review three months on) or open a pre-filled
/// unlock that references it. Whether the patient was informed is recorded.
pub fn review(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &ReviewInput,
) -> Result<Reviewed, ServiceError> {
    let actor = ctx.actor()?.clone();
    let today = swedish_today(ctx);
    let mut e = FieldErrors::default();
    if input.outcome != "keep" && input.outcome != "unlock" {
        e.add("outcome", crate::messages::Key("case-err-review-outcome"));
    }
    let informed = match input.patient_informed_date.trim() {
        "" => None,
        s => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d <= today => Some(d),
            _ => {
                e.add(
                    "patient_informed_date",
                    crate::messages::Key("case-err-review-date"),
                );
                None
            }
        },
    };
    let reason = input.patient_not_informed_reason.trim();
    if informed.is_none()
        && !crate::domain::grounds::is_choice(crate::domain::grounds::NOT_INFORMED, reason)
        && e.get("patient_informed_date").is_none()
    {
        e.add(
            "patient_informed_date",
            crate::messages::Key("case-err-patient-informed"),
        );
    }
    let note = text_field(&mut e, "note", &input.note, 4000, false);
    e.into_result()?;
    with_case(conn, ctx, id, "review", |c, row, role| {
        // The same path as every step: the version the user saw, then the lifecycle's rule.
        let version = input.version.unwrap_or(row.version);
        if row.version != version {
            return Err(conflict(c, row.id)?);
        }
        let checks = cases::checks(c, id)?;
        let lifted = lifting_unlock(c, &row)?.is_some();
        let rule = case::transition(
            Some(row.status),
            Action::Review,
            facts(&actor, role, &row, &checks, provider_of(c, &row)?, lifted),
        );
        match rule {
            Err(case::TransitionError::NotYours { .. }) => {
                return Err(ctx.denial(
                    super::Access::Review {
                        unit_id: row.unit_id,
                    },
                    super::Refusal::Role,
                    Some(format!("case:{}", row.id)),
                    Some(row.citizen_pnr.clone()),
                    None,
                ));
            }
            Err(
                err @ (case::TransitionError::Lifted | case::TransitionError::ReviewNotDecider),
            ) => {
                return Err(ServiceError::Refused(crate::messages::transition(&err)));
            }
            Err(_) => {
                return Err(ServiceError::Refused(Msg::key(
                    "case-msg-review-only-executed",
                )));
            }
            Ok(_) if row.kind != Kind::Lock => {
                return Err(ServiceError::Refused(Msg::key(
                    "case-msg-review-only-executed",
                )));
            }
            Ok(_) => {}
        }
        if !cases::touch(c, id, version, db::ts(ctx.now))? {
            return Err(conflict(c, row.id)?);
        }
        let now = db::ts(ctx.now);
        let informed_text = Arg::Msg(Box::new(match informed {
            Some(d) => Msg::key("case-detail-informed").arg("date", d.to_string()),
            None => Msg::key("case-detail-not-informed").arg(
                "reason",
                if crate::domain::grounds::is_choice(crate::domain::grounds::NOT_INFORMED, reason) {
                    Arg::Key(format!("case-ground-{reason}"))
                } else {
                    Arg::Str(String::new())
                },
            ),
        }));
        if input.outcome == "keep" {
            let next = review::next_review(today);
            reminders::insert_review(
                c,
                &NewReview {
                    case_id: id,
                    decided_at: now,
                    user_id: actor.user_id,
                    outcome: "keep",
                    patient_informed_date: informed,
                    patient_not_informed_reason: reason,
                    note: &note,
                    next_review: Some(next),
                    due_on: row.review_due,
                    decided_on: today,
                },
            )?;
            cases::set_review_due(c, id, Some(next))?;
            cases::add_event_msg(
                c,
                id,
                now,
                Some(actor.user_id),
                &actor.name,
                "Omprövade: inloggningen förblir låst",
                &Msg::key("case-detail-review-keep")
                    .arg("date", next.to_string())
                    .arg("informed", informed_text),
            )?;
            let mut e = ctx.entry(Some(role), "case_review_keep", Some(format!("case:{id}")));
            e.personnummer = Some(row.citizen_pnr.clone());
            ctx.log(c, &e)?;
            return Ok(Reviewed::Kept(next));
        }
        reminders::insert_review(
            c,
            &NewReview {
                case_id: id,
                decided_at: now,
                user_id: actor.user_id,
                outcome: "unlock",
                patient_informed_date: informed,
                patient_not_informed_reason: reason,
                note: &note,
                next_review: None,
                due_on: row.review_due,
                decided_on: today,
            },
        )?;
        let input = CaseInput {
            kind: "unlock".into(),
            unit_id: row.unit_id.to_string(),
            citizen_pnr: Personnummer::parse(&row.citizen_pnr, today)
                .map(|p| p.canonical())
                .unwrap_or_default(),
            citizen_name: row.citizen_name.clone(),
            citizen_protected: row.citizen_protected,
            citizen_contact: row.citizen_contact.clone(),
            requested_by: "staff".into(),
            patient_informed_date: informed.map(|d| d.to_string()).unwrap_or_default(),
            patient_not_informed_reason: if informed.is_none() {
                reason.to_string()
            } else {
                String::new()
            },
            care_provider: row
                .care_provider_id
                .map(|p| p.to_string())
                .unwrap_or_else(|| "region".into()),
            related_case_id: id.to_string(),
            version: 1,
            ..Default::default()
        };
        let mut draft = blank_row(ctx, crate::domain::case::Kind::Unlock, Channel::Eservice);
        let errors = apply_input(c, ctx, role, &mut draft, &input)?;
        errors.into_result()?;
        let new_id = cases::insert(c, &draft)?;
        draft.id = new_id;
        record_msg(
            c,
            ctx,
            &draft,
            Some(role),
            "case_create",
            Some((
                "Skapade upplåsning efter omprövning",
                Msg::key("case-detail-review-of").arg("id", id.to_string()),
            )),
        )?;
        cases::add_event_msg(
            c,
            id,
            now,
            Some(actor.user_id),
            &actor.name,
            "Omprövade: inloggningen ska låsas upp",
            &Msg::key("case-detail-review-unlock")
                .arg("id", new_id.to_string())
                .arg("informed", informed_text),
        )?;
        let mut e = ctx.entry(Some(role), "case_review_unlock", Some(format!("case:{id}")));
        e.personnummer = Some(row.citizen_pnr.clone());
        ctx.log(c, &e)?;
        Ok(Reviewed::Unlock(new_id))
    })
}

/// Which reviews the "Omprövningar" list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReviewSelection {
    #[default]
    All,
    /// Due before today.
    Overdue,
    /// Due today or within the next `review_remind_before_days` days (when the first reminder
    /// goes out): "Snart" and "Ska göras i dag".
    Soon,
}

impl ReviewSelection {
    pub fn code(self) -> Option<&'static str> {
        match self {
            ReviewSelection::All => None,
            ReviewSelection::Overdue => Some("forsenad"),
            ReviewSelection::Soon => Some("snart"),
        }
    }

    pub fn from_code(s: &str) -> ReviewSelection {
        match s {
            "forsenad" => ReviewSelection::Overdue,
            "snart" => ReviewSelection::Soon,
            _ => ReviewSelection::All,
        }
    }

    fn due(self, today: chrono::NaiveDate, soon_days: i64) -> crate::db::review_list::DueFilter {
        use crate::db::review_list::DueFilter;
        match self {
            ReviewSelection::All => DueFilter::All,
            ReviewSelection::Overdue => DueFilter::Before(today),
            ReviewSelection::Soon => {
                DueFilter::Between(today, today + chrono::Duration::days(soon_days.max(0)))
            }
        }
    }
}

/// The role and units whose reviews the user sees (clinicians, managers and chief physicians:
/// their units'), or the logged refusal.
fn review_units(ctx: &Ctx) -> Result<(Role, Vec<i64>), ServiceError> {
    let a = ctx.actor()?;
    let Some(role) = [Role::Clinician, Role::Manager, Role::ChiefPhysician]
        .into_iter()
        .find(|r| a.has(*r))
    else {
        return Err(ctx.denial(
            super::Access::ListCases,
            super::Refusal::Role,
            Some("reviews".into()),
            None,
            None,
        ));
    };
    Ok((role, a.units.iter().map(|u| u.id).collect()))
}

/// How many reviews of the user's units the selection holds (a number, no citizen data), up to
/// `cap`. `soon_days`: the setting `review_remind_before_days`.
pub fn reviews_count(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: ReviewSelection,
    soon_days: i64,
    cap: i64,
) -> Result<crate::db::page::Count, ServiceError> {
    let (_, units) = review_units(ctx)?;
    let due = selection.due(swedish_today(ctx), soon_days);
    Ok(crate::db::review_list::reviews_count(
        conn, &units, due, cap,
    )?)
}

/// The "Omprövningar" list: locks of the user's units by review date.
pub fn reviews(
    conn: &mut DbConnection,
    ctx: &Ctx,
    ascending: bool,
    cursor: &crate::db::page::Cursor<chrono::NaiveDate>,
    limit: i64,
) -> Result<crate::db::page::Page<CaseSummary, chrono::NaiveDate>, ServiceError> {
    reviews_selected(conn, ctx, ReviewSelection::All, 0, ascending, cursor, limit)
}

/// The "Omprövningar" list with a selection (overdue, due soon). The page's citizens are logged
/// in the same transaction (`review_list_view`).
pub fn reviews_selected(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: ReviewSelection,
    soon_days: i64,
    ascending: bool,
    cursor: &crate::db::page::Cursor<chrono::NaiveDate>,
    limit: i64,
) -> Result<crate::db::page::Page<CaseSummary, chrono::NaiveDate>, ServiceError> {
    let (role, units) = review_units(ctx)?;
    let due = selection.due(swedish_today(ctx), soon_days);
    // The count first, outside the write transaction: a number, no citizen.
    let count =
        crate::db::review_list::reviews_count(conn, &units, due, crate::db::page::COUNT_CAP)?;
    db::write_tx(conn, |c| {
        let page =
            crate::db::review_list::reviews_page(c, &units, due, ascending, cursor, limit, count)?;
        let lage = selection
            .code()
            .map(|l| format!("lage={l}&"))
            .unwrap_or_default();
        let object = format!(
            "omprovningar?{lage}ordning={}&{}",
            if ascending { "stigande" } else { "fallande" },
            cursor.describe()
        );
        super::lists::log_list(c, ctx, role, "review_list_view", object, &page.rows)?;
        Ok(page)
    })
}
