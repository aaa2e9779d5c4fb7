//! The emergency phone (instruction 002 §6, "Vid ärende till nödtelefon"): the call locks at
//! once, the written form is linked later.

use super::*;

/// The emergency phone (instruction 002 §6, "Vid ärende till nödtelefon").
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CallInput {
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub caller_phone: String,
    /// Where reminders about the missing form go.
    #[serde(default)]
    pub caller_email: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub citizen_pnr: String,
    #[serde(default)]
    pub citizen_name: String,
    #[serde(default)]
    pub citizen_protected: bool,
    #[serde(default)]
    pub requested_by: String,
    #[serde(default)]
    pub helpdesk_ref: String,
    /// The handler chose the category "1177 e-tjänster / Låsa konto vårdpersonal" in the
    /// helpdesk case (002 §6, "Vid ärende till nödtelefon" 3).
    #[serde(default)]
    pub category_chosen: bool,
}

/// Registers an emergency call and records the lock as executed at once; the case then waits
/// for the written form (from the staff, or from the citizen when the citizen asked).
pub fn register_call(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CallInput,
    wf: &Workflow,
) -> Result<(i64, String), ServiceError> {
    ctx.require(Access::HandleCases)?;
    let actor = ctx.actor()?.clone();
    let facts = Facts {
        actor: ActorKind::Handler,
        actor_is_decider: actor.is_decider,
        signed: false,
        complete: false,
        checklist_done: false,
    };
    let to = case::transition(None, Action::RegisterCall, facts)
        .map_err(|e| ServiceError::Refused(e.message()))?;
    let today = swedish_today(ctx);
    let mut e = FieldErrors::default();
    let caller_name = text_field(&mut e, "caller_name", &input.caller_name, SHORT_MAX, true);
    let caller_phone = text_field(&mut e, "caller_phone", &input.caller_phone, 40, true);
    let caller_email = text_field(&mut e, "caller_email", &input.caller_email, 254, true);
    if !caller_email.is_empty() && !crate::domain::validate::email(&caller_email) {
        e.add("caller_email", crate::messages::EMAIL_INVALID);
    }
    let citizen_name = text_field(&mut e, "citizen_name", &input.citizen_name, SHORT_MAX, true);
    let helpdesk = text_field(
        &mut e,
        "helpdesk_ref",
        &input.helpdesk_ref,
        SHORT_MAX,
        false,
    );
    let pnr = match Personnummer::parse(&input.citizen_pnr, today) {
        Ok(p) => Some(p),
        Err(err) => {
            e.add("citizen_pnr", crate::messages::personnummer(err));
            None
        }
    };
    if !input.category_chosen {
        e.add("category_chosen", crate::messages::CATEGORY_REQUIRED);
    }
    let requested_by = match input.requested_by.parse::<RequestedBy>() {
        Ok(r) => r,
        Err(_) => {
            e.add("requested_by", "Ange vem som begärde låsningen.");
            RequestedBy::Staff
        }
    };
    db::write_tx(conn, |c| {
        let unit = input
            .unit_id
            .trim()
            .parse::<i64>()
            .ok()
            .map(|id| org::unit(c, id))
            .transpose()?
            .flatten();
        if unit.as_ref().is_none_or(|u| !u.active) {
            e.add("unit_id", "Välj den enhet som ringde.");
        }
        e.clone().into_result()?;
        let (Some(unit), Some(pnr)) = (unit, pnr.clone()) else {
            return Err(ServiceError::Invalid(e.clone()));
        };
        let mut row = blank_row(ctx, Kind::Lock, Channel::Emergency);
        row.status = to;
        row.unit_id = unit.id;
        row.citizen_pnr = pnr.digits();
        row.citizen_name = citizen_name.clone();
        row.citizen_protected = input.citizen_protected;
        row.requested_by = requested_by;
        row.caller_name = caller_name.clone();
        row.caller_phone = caller_phone.clone();
        row.caller_email = caller_email.clone();
        row.helpdesk_ref = helpdesk.clone();
        row.executed_at = Some(db::ts(ctx.now));
        row.executed_by_user_id = Some(actor.user_id);
        row.review_due = Some(crate::domain::review::review_due(ctx.now));
        row.submitted_at = Some(db::ts(ctx.now));
        let number = assign_diary_number(c, ctx, &wf.diary_prefix, &mut row)?;
        let id = cases::insert(c, &row)?;
        row.id = id;
        // The category is recorded like the checklist's item 5 (who, when, which category).
        cases::set_check(
            c,
            id,
            "category",
            actor.user_id,
            &actor.name,
            db::ts(ctx.now),
            Kind::Lock.category(),
        )?;
        let from = if requested_by == RequestedBy::Citizen {
            "invånaren (på invånarens uppdrag)"
        } else {
            "personalen"
        };
        let detail = format!(
            "Samtal från {caller_name}, {caller_phone}. Blanketten skickas i efterhand av {from}. Diarienummer {number}. Kategori {}.",
            Kind::Lock.category()
        );
        record(
            c,
            ctx,
            &row,
            Some(Role::Handler),
            "case_register_call",
            Some((Action::RegisterCall.label(), &detail)),
        )?;
        crate::service::feedback::enqueue(c, ctx, &row, wf)?;
        Ok((id, number))
    })
}

/// Links the written form that arrived after an emergency lock; its data is keyed in.
pub fn link_form(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &CaseInput,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "link_form", |c, row, role| {
        let mut staged = row.clone();
        let errors = apply_input(c, ctx, role, &mut staged, input)?;
        let mut errors = errors;
        if staged.arrival_date.is_none() {
            errors.add(
                "arrival_date",
                "Ange blankettens ankomstdatum (ankomststämpeln).",
            );
        }
        errors.into_result()?;
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::LinkForm,
                version: input.version,
                detail: "",
            },
            |_, r| {
                let keep = (
                    r.id,
                    r.status,
                    r.version,
                    r.diary_number.clone(),
                    r.created_at,
                    r.channel,
                    r.executed_at,
                    r.caller_name.clone(),
                    r.caller_phone.clone(),
                    r.helpdesk_ref.clone(),
                );
                *r = staged;
                (
                    r.id,
                    r.status,
                    r.version,
                    r.diary_number,
                    r.created_at,
                    r.channel,
                    r.executed_at,
                    r.caller_name,
                    r.caller_phone,
                    r.helpdesk_ref,
                ) = keep;
                r.form_linked_at = Some(db::ts(ctx.now));
                r.decider_name = input.decider_name.trim().chars().take(SHORT_MAX).collect();
                r.decider_hsa_id = input.decider_hsa_id.trim().chars().take(40).collect();
                r.decider_role = input.decider_role.trim().chars().take(SHORT_MAX).collect();
                r.decided_on = NaiveDate::parse_from_str(input.decided_on.trim(), "%Y-%m-%d").ok();
                Ok(())
            },
        )
        .map(|_| ())
    })
}
