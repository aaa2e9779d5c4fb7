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
    /// Why the call is registered although the citizen is already locked or has an open lock
    /// case (`domain::locks::accept_new_lock`).
    #[serde(default)]
    pub duplicate_reason: String,
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
        lifted: false,
    };
    let to = case::transition(None, Action::RegisterCall, facts)
        .map_err(|e| ServiceError::Refused(crate::messages::transition(&e)))?;
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
        wf.require_helpdesk_ref,
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
            e.add(
                "requested_by",
                crate::messages::Key("case-err-call-requested-by"),
            );
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
            e.add("unit_id", crate::messages::Key("case-err-call-unit"));
        }
        let mut row = blank_row(ctx, Kind::Lock, Channel::Emergency);
        if let Some(p) = &pnr {
            row.citizen_pnr = p.digits();
            check_duplicate(
                c,
                ctx,
                Role::Handler,
                &mut row,
                &input.duplicate_reason,
                &mut e,
            )?;
        }
        e.clone().into_result()?;
        let (Some(unit), Some(pnr)) = (unit, pnr.clone()) else {
            return Err(ServiceError::Invalid(e.clone()));
        };
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
            "case-detail-from-citizen"
        } else {
            "case-detail-from-staff"
        };
        let detail = Msg::key("case-detail-call")
            .arg("caller", caller_name.as_str())
            .arg("phone", caller_phone.as_str())
            .arg("from", Arg::Key(from.into()))
            .arg("number", number.as_str())
            .arg("category", Kind::Lock.category());
        record_msg(
            c,
            ctx,
            &row,
            Some(Role::Handler),
            "case_register_call",
            Some((Action::RegisterCall.label(), detail)),
        )?;
        note_duplicate(c, ctx, &row)?;
        crate::service::feedback::enqueue(c, ctx, &row, wf)?;
        Ok((id, number))
    })
}

/// Links the written form that arrived after an emergency lock; its data is keyed in and checked
/// like every other channel's (the mandatory fields, the decider from the form, the arrival
/// stamp). If the feedback was already delivered, the case closes now like any executed case.
pub fn link_form(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &CaseInput,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "link_form", |c, row, role| {
        let mut staged = row.clone();
        let mut errors = apply_input(c, ctx, role, &mut staged, input)?;
        if staged.arrival_date.is_none() {
            errors.add(
                "arrival_date",
                crate::messages::Key("case-err-form-arrival"),
            );
        }
        keyed_decider(
            ctx,
            &mut errors,
            &mut staged,
            input,
            wf.journal_note_max_age_days,
        );
        for (f, m) in missing_fields(&staged).0 {
            errors.add(f, m);
        }
        errors.into_result()?;
        let linked = act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::LinkForm,
                version: input.version,
                detail: Msg::default(),
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
                    r.duplicate_reason.clone(),
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
                    r.duplicate_reason,
                ) = keep;
                r.form_linked_at = Some(db::ts(ctx.now));
                Ok(())
            },
        )?;
        let number = linked.diary_number.clone().unwrap_or_default();
        let (pnr, emergency_id) = (linked.citizen_pnr.clone(), linked.id);
        close_if_fed_back(c, ctx, linked)?;
        if let Ok(from) = input.linked_from.trim().parse::<i64>() {
            withdraw_linked(c, ctx, role, from, emergency_id, &pnr, &number)?;
        }
        Ok(())
    })
}

/// The incoming case (a paper or e-form lock of the same citizen) that turned out to be an
/// emergency lock's form is withdrawn once its data is linked there.
fn withdraw_linked(
    c: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    from: i64,
    emergency_id: i64,
    pnr: &str,
    number: &str,
) -> Result<(), ServiceError> {
    let incoming = cases::get(c, from)?
        .filter(|r| {
            r.id != emergency_id
                && r.citizen_pnr == pnr
                && r.kind == Kind::Lock
                && r.channel != Channel::Emergency
                && r.status.is_open()
        })
        .ok_or_else(|| ServiceError::Refused(Msg::key("case-msg-link-not-open-lock")))?;
    let version = incoming.version;
    let reason = format!("Blanketten kopplades till nödtelefonärendet {number}.");
    act(
        c,
        ctx,
        incoming,
        role,
        Step {
            action: Action::Withdraw,
            version,
            detail: Msg::key("case-detail-linked").arg("number", number),
        },
        |_, r| {
            r.withdraw_reason = reason.clone();
            Ok(())
        },
    )?;
    Ok(())
}

/// An executed case whose feedback was delivered is closed (`Action::Feedback`): the mail worker
/// does it on delivery, and linking the form does it when the delivery came first.
fn close_if_fed_back(
    c: &mut DbConnection,
    ctx: &Ctx,
    mut row: CaseRow,
) -> Result<(), ServiceError> {
    let delivered = crate::db::outbox::for_case(c, row.id)?
        .iter()
        .any(|d| d.kind == crate::service::feedback::KIND && d.is_sent());
    if !delivered {
        return Ok(());
    }
    let system = Facts {
        actor: ActorKind::System,
        actor_is_decider: false,
        signed: true,
        complete: true,
        checklist_done: true,
        lifted: false,
    };
    let Ok(next) = case::transition(Some(row.status), Action::Feedback, system) else {
        return Ok(());
    };
    let version = row.version;
    row.status = next;
    row.updated_at = db::ts(ctx.now);
    if !cases::save(c, &row, version)? {
        return Err(conflict(c, row.id)?);
    }
    cases::add_event(
        c,
        row.id,
        db::ts(ctx.now),
        None,
        "Kontospärr",
        "Ärendet avslutades",
        "Blanketten är kopplad och återkopplingen levererad.",
    )?;
    Ok(())
}
