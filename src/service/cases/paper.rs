//! Paper forms (instruction 002 §6, "Vid pappersblankett"), keyed in by the handler with their
//! arrival stamp.

use super::*;

/// A paper form that came by internal mail: the handler keys it in with its arrival stamp; it
/// is then received (checklist item 1 done) and goes through the same checks as any case.
pub fn register_paper(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CaseInput,
    wf: &Workflow,
) -> Result<i64, ServiceError> {
    ctx.require(Access::HandleCases)?;
    let actor = ctx.actor()?.clone();
    let kind = input.kind.parse::<Kind>().unwrap_or(Kind::Lock);
    db::write_tx(conn, |c| {
        let mut row = blank_row(ctx, kind, Channel::Paper);
        let mut e = apply_input(c, ctx, Role::Handler, &mut row, input)?;
        keyed_decider(ctx, &mut e, &mut row, input, wf.journal_note_max_age_days);
        check_duplicate(
            c,
            ctx,
            Role::Handler,
            &mut row,
            &input.duplicate_reason,
            &mut e,
        )?;
        if row.arrival_date.is_none() {
            e.add("arrival_date", crate::messages::Key("case-err-arrival"));
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
            .map_err(|e| ServiceError::Refused(crate::messages::transition(&e)))?;
        for a in [Action::Submit, Action::Receive] {
            s = case::transition(Some(s), a, h)
                .map_err(|e| ServiceError::Refused(crate::messages::transition(&e)))?;
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
            // The system's words, read back by `web::cases::words::check_note`.
            &crate::i18n::Lang::Sv.t1("case-check-note-arrival", "date", &arrival),
        )?;
        record_msg(
            c,
            ctx,
            &row,
            Some(Role::Handler),
            "case_register_paper",
            Some((
                "Registrerade pappersblankett",
                Msg::key("case-detail-arrival").arg("date", arrival.as_str()),
            )),
        )?;
        note_duplicate(c, ctx, &row)?;
        Ok(id)
    })
}

/// A decider keyed in from a paper form or sent by the API: the role must be one the
/// instruction names (002 §3.1), the HSA-ID well-formed (required when `hsa_required`).
/// Returns the role's label and the HSA-ID as stored (empty when invalid).
pub(crate) fn validate_decider(
    e: &mut FieldErrors,
    role: &str,
    hsa_id: &str,
    hsa_required: bool,
) -> (String, String) {
    use crate::domain::decider::DeciderRole;
    let role = match DeciderRole::parse(role) {
        Some(r) => r.label().to_string(),
        None => {
            e.add("decider_role", crate::messages::DECIDER_ROLE_INVALID);
            String::new()
        }
    };
    let hsa = match (hsa_id.trim(), hsa_required) {
        ("", false) => String::new(),
        (h, _) => match crate::domain::HsaId::parse(h) {
            Ok(h) => h.to_string(),
            Err(err) => {
                e.add("decider_hsa_id", crate::messages::hsa_id(err));
                String::new()
            }
        },
    };
    (role, hsa)
}

/// The decider as keyed in from a written form (a paper form, or the form linked to an
/// emergency lock): name, a role the instruction names and the decision date are mandatory, the
/// HSA-ID well-formed when given, the date must parse and not lie in the future, and the journal
/// note must fit the decision date.
pub(super) fn keyed_decider(
    ctx: &Ctx,
    e: &mut FieldErrors,
    row: &mut CaseRow,
    input: &CaseInput,
    journal_note_max_age_days: u32,
) {
    let today = swedish_today(ctx);
    row.decider_name = text_field(e, "decider_name", &input.decider_name, SHORT_MAX, true);
    let decider = validate_decider(e, &input.decider_role, &input.decider_hsa_id, false);
    (row.decider_role, row.decider_hsa_id) = decider;
    row.decided_on = parse_date(e, "decided_on", &input.decided_on, today);
    match row.decided_on {
        None => {
            if e.get("decided_on").is_none() {
                e.add("decided_on", crate::messages::Key("case-err-decided-on"));
            }
        }
        Some(d) => check_journal_note(e, row, d, journal_note_max_age_days),
    }
}
