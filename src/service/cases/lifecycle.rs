//! The clinician's steps of a case's life (SPEC §3): draft, sign, submit, withdraw. The
//! handler's (receive, the checklist, return, verify, execute with a diary number, Plexus) are
//! `handling`.

use super::*;

/// "Ny begäran": saves a draft (format errors refuse it; missing fields do not).
pub fn create_draft(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CaseInput,
    wf: &Workflow,
) -> Result<i64, ServiceError> {
    let actor = ctx.actor()?;
    let role = creating_role(ctx, actor)?;
    let kind = input.kind.parse::<Kind>().unwrap_or(Kind::Lock);
    let today = swedish_today(ctx);
    case::transition(
        None,
        Action::Create,
        Facts {
            actor: actor_kind(role),
            actor_is_decider: actor.is_decider,
            signed: false,
            complete: false,
            checklist_done: false,
            lifted: false,
        },
    )
    .map_err(|e| ServiceError::Refused(crate::messages::transition(&e)))?;
    db::write_tx(conn, |c| {
        let mut row = blank_row(ctx, kind, Channel::Eservice);
        let mut errors = apply_input(c, ctx, role, &mut row, input)?;
        // The decision is signed today at the earliest.
        check_journal_note(&mut errors, &row, today, wf.journal_note_max_age_days);
        check_duplicate(c, ctx, role, &mut row, &input.duplicate_reason, &mut errors)?;
        errors.into_result()?;
        let id = cases::insert(c, &row)?;
        row.id = id;
        record(
            c,
            ctx,
            &row,
            Some(role),
            "case_create",
            Some((Action::Create.label(), "")),
        )?;
        note_duplicate(c, ctx, &row)?;
        Ok(id)
    })
}

/// Saves changes to a draft or returned case. Any change removes an earlier signature: the
/// decider signs what is finally sent.
pub fn update_draft(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &CaseInput,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let today = swedish_today(ctx);
    with_case(conn, ctx, id, "edit", |c, row, role| {
        let mut staged = row.clone();
        let mut errors = apply_input(c, ctx, role, &mut staged, input)?;
        check_journal_note(&mut errors, &staged, today, wf.journal_note_max_age_days);
        let reason_before = row.duplicate_reason.clone();
        check_duplicate(
            c,
            ctx,
            role,
            &mut staged,
            &input.duplicate_reason,
            &mut errors,
        )?;
        errors.into_result()?;
        let unsign = staged.decider_user_id.is_some();
        let new_reason = staged.duplicate_reason != reason_before;
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Edit,
                version: input.version,
                detail: if unsign {
                    Msg::key("case-detail-unsigned")
                } else {
                    Msg::default()
                },
            },
            |_, r| {
                let keep = (
                    r.id,
                    r.status,
                    r.version,
                    r.diary_number.clone(),
                    r.created_at,
                    r.channel,
                );
                *r = staged;
                (
                    r.id,
                    r.status,
                    r.version,
                    r.diary_number,
                    r.created_at,
                    r.channel,
                ) = keep;
                r.decider_user_id = None;
                r.decider_name.clear();
                r.decider_role.clear();
                r.decider_hsa_id.clear();
                r.decided_on = None;
                Ok(())
            },
        )
        .and_then(|saved| {
            if new_reason {
                note_duplicate(c, ctx, &saved)?;
            }
            Ok(())
        })
    })
}

/// The decider signs the decision (their name, HSA-ID, today's date, and the role they hold **in
/// the case's unit**: the unit's manager as verksamhetschef, its MAL as MAL, any other decider as
/// licensed staff — 002 §3.1). The journal note must be dated on or before today and, unless a
/// reason is recorded, not more than the setting's days before.
pub fn sign(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let actor = ctx.actor()?.clone();
    let today = swedish_today(ctx);
    with_case(conn, ctx, id, "sign", |c, row, role| {
        let mut e = FieldErrors::default();
        check_journal_note(&mut e, &row, today, wf.journal_note_max_age_days);
        if let Some(m) = e.get("journal_note_date") {
            return Err(ServiceError::Refused(
                Msg::key("case-msg-sign-note-date").arg("problem", Arg::Msg(Box::new(m.clone()))),
            ));
        }
        let unit = org::unit(c, row.unit_id)?;
        let decider_role = crate::domain::decider::DeciderRole::on_unit(
            actor.user_id,
            unit.as_ref().and_then(|u| u.manager_user_id),
            unit.as_ref().and_then(|u| u.medical_lead_user_id),
        );
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Sign,
                version,
                detail: decider_role.label().into(),
            },
            |_, r| {
                r.decider_user_id = Some(actor.user_id);
                r.decider_name = actor.name.clone();
                r.decider_hsa_id = actor.hsa_id.clone();
                r.decider_role = decider_role.label().into();
                r.decided_on = Some(today);
                Ok(())
            },
        )
        .and_then(|row| {
            // Instruction 002 §3.3: the chefläkare function is informed of every lock decision.
            if row.kind == Kind::Lock {
                crate::service::notices::lock_signed(c, ctx, &row, wf)
            } else {
                Ok(())
            }
        })
    })
}

/// Submits (or resubmits a returned case): the certified form reaches Spärr- och loggservice.
pub fn submit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "submit", |c, row, role| {
        let action = if row.status == crate::domain::case::Status::Returned {
            Action::Resubmit
        } else {
            Action::Submit
        };
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action,
                version,
                detail: Msg::default(),
            },
            |_, r| {
                r.submitted_at = Some(db::ts(ctx.now));
                r.return_reason.clear();
                Ok(())
            },
        )
        .map(|_| ())
    })
}

pub fn withdraw(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    reason: &str,
) -> Result<(), ServiceError> {
    let mut e = FieldErrors::default();
    let reason = text_field(&mut e, "reason", reason, TEXT_MAX, true);
    e.into_result()?;
    with_case(conn, ctx, id, "withdraw", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Withdraw,
                version,
                detail: reason.as_str().into(),
            },
            |_, r| {
                r.withdraw_reason = reason.clone();
                Ok(())
            },
        )
        .map(|_| ())
    })
}
