//! Paper forms (instruction 002 §6, "Vid pappersblankett"), keyed in by the handler with their
//! arrival stamp.

use super::*;

/// A paper form that came by internal mail: the handler keys it in with its arrival stamp; it
/// is then received (checklist item 1 done) and goes through the same checks as any case.
pub fn register_paper(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CaseInput,
) -> Result<i64, ServiceError> {
    ctx.require(Access::HandleCases)?;
    let actor = ctx.actor()?.clone();
    let kind = input.kind.parse::<Kind>().unwrap_or(Kind::Lock);
    db::write_tx(conn, |c| {
        let mut row = blank_row(ctx, kind, Channel::Paper);
        let mut e = apply_input(c, ctx, Role::Handler, &mut row, input)?;
        keyed_decider(ctx, &mut e, &mut row, input);
        check_duplicate(
            c,
            ctx,
            Role::Handler,
            &mut row,
            &input.duplicate_reason,
            &mut e,
        )?;
        if row.arrival_date.is_none() {
            e.add("arrival_date", "Ange datumet på ankomststämpeln.");
        }
        for (f, m) in missing_fields(&row).0 {
            e.add(f, m);
        }
        e.into_result()?;
        let h = Facts {
            actor: ActorKind::Handler,
            actor_is_decider: false,
            signed: true,
            complete: true,
            checklist_done: false,
            lifted: false,
        };
        let mut s = case::transition(None, Action::Create, h)
            .map_err(|e| ServiceError::Refused(e.message()))?;
        for a in [Action::Submit, Action::Receive] {
            s = case::transition(Some(s), a, h).map_err(|e| ServiceError::Refused(e.message()))?;
        }
        row.status = s;
        row.submitted_at = Some(db::ts(ctx.now));
        let id = cases::insert(c, &row)?;
        row.id = id;
        let arrival = row.arrival_date.map(|d| d.to_string()).unwrap_or_default();
        cases::set_check(
            c,
            id,
            "arrival_stamped",
            actor.user_id,
            &actor.name,
            db::ts(ctx.now),
            &format!("Ankomststämplad {arrival}"),
        )?;
        record(
            c,
            ctx,
            &row,
            Some(Role::Handler),
            "case_register_paper",
            Some((
                "Registrerade pappersblankett",
                &format!("Ankomststämpel {arrival}."),
            )),
        )?;
        note_duplicate(c, ctx, &row)?;
        Ok(id)
    })
}

/// The decider as keyed in from a written form (a paper form, or the form linked to an
/// emergency lock): name, role and decision date are mandatory, the date must parse and not lie
/// in the future.
pub(super) fn keyed_decider(ctx: &Ctx, e: &mut FieldErrors, row: &mut CaseRow, input: &CaseInput) {
    let today = swedish_today(ctx);
    row.decider_name = text_field(e, "decider_name", &input.decider_name, SHORT_MAX, true);
    row.decider_role = text_field(e, "decider_role", &input.decider_role, SHORT_MAX, true);
    row.decider_hsa_id = input.decider_hsa_id.trim().chars().take(40).collect();
    row.decided_on = parse_date(e, "decided_on", &input.decided_on, today);
    if row.decided_on.is_none() {
        e.add("decided_on", "Ange beslutsdatum från blanketten.");
    }
}
