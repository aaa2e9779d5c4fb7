//! The handler's steps (SPEC §2, instruction 002 §4): receive, the checklist, return for
//! completion, verify, the diary number, execute, and the Plexus note. The clinician's steps
//! (draft, sign, submit, withdraw) are `lifecycle`.

use super::*;

pub fn receive(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "receive", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Receive,
                version,
                detail: Msg::default(),
            },
            |_, _| Ok(()),
        )
        .map(|_| ())
    })
}

/// Records one checklist item as done (who and when), with an optional note. Item 2 (the
/// personnummer against the population register's name) is compared by the system
/// (`domain::names::compare`): only an exact match is ticked without a note; a close name, a
/// different name or a number the register does not know needs the handler's note.
pub fn check_item(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    item: &str,
    note: &str,
    register: &dyn PopulationRegister,
) -> Result<(), ServiceError> {
    let actor = ctx.actor()?.clone();
    let label = grounds::label(grounds::CHECKS, item);
    if label.is_empty() {
        return Err(ServiceError::NotFound);
    }
    // The item's text on the timeline: the catalog's (`case-check-<code>`), without a number.
    let item_arg = Arg::Key(format!("case-check-{item}"));
    let mut e = FieldErrors::default();
    let note = text_field(&mut e, "note", note, SHORT_MAX, false);
    if item == "identity_by_phone" && note.is_empty() {
        e.add("note", crate::messages::Key("case-err-phone-note"));
    }
    e.into_result()?;
    let today = swedish_today(ctx);
    with_case(conn, ctx, id, "check", |c, row, role| {
        if role != Role::Handler {
            return Err(ctx.denial(
                Access::HandleCases,
                Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ));
        }
        if row.status != crate::domain::case::Status::Received {
            return Err(ServiceError::Refused(Msg::key(
                "case-msg-check-not-received",
            )));
        }
        if row.version != version {
            return Err(conflict(c, id)?);
        }
        let mut note = note.clone();
        // The timeline's note: what the system found (a catalog text) and the handler's words.
        let mut note_arg = Arg::Str(note.clone());
        if item == "register_match" {
            let found = Personnummer::parse(&row.citizen_pnr, today)
                .ok()
                .and_then(|p| register.lookup(&p));
            let m = crate::domain::names::compare(
                &row.citizen_name,
                found.as_ref().map(|p| p.name.as_str()),
            );
            if m.needs_note() && note.is_empty() {
                let mut e = FieldErrors::default();
                if let Some(k) = crate::messages::name_note_required(&m) {
                    e.add("note-register_match", k);
                }
                return Err(ServiceError::Invalid(e));
            }
            // What the system found goes with the handler's note into the record.
            let found = crate::messages::name_found(&m);
            let mut parts = vec![Arg::Key(found.0.into())];
            if !note.is_empty() {
                parts.push(Arg::Str(format!("; {note}")));
            }
            note_arg = Arg::Parts(parts);
            note = if note.is_empty() {
                found.to_string()
            } else {
                format!("{found}; {note}")
            };
        }
        cases::set_check(
            c,
            id,
            item,
            actor.user_id,
            &actor.name,
            db::ts(ctx.now),
            &note,
        )?;
        let detail = if note.is_empty() {
            Msg::key("case-detail-check").arg("item", item_arg)
        } else {
            Msg::key("case-detail-check-note")
                .arg("item", item_arg)
                .arg("note", note_arg)
        };
        record_msg(
            c,
            ctx,
            &row,
            Some(role),
            "case_check",
            Some(("Kontrollpunkt klar", detail)),
        )
    })
}

/// Returns the case for completion with a reason; the clinician who filed it and the unit's
/// manager get a notice without personal data (through the outbox, in the same transaction).
pub fn return_case(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    reason: &str,
    wf: &Workflow,
) -> Result<(), ServiceError> {
    let mut e = FieldErrors::default();
    let reason = text_field(&mut e, "reason", reason, TEXT_MAX, true);
    e.into_result()?;
    with_case(conn, ctx, id, "return", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Return,
                version,
                detail: reason.as_str().into(),
            },
            |_, r| {
                r.return_reason = reason.clone();
                Ok(())
            },
        )
        .and_then(|row| {
            // Counted for the statistics (the share returned for completion).
            db::stats::count_return(c, row.id)?;
            crate::service::notices::returned(c, ctx, &row, wf)
        })
    })
}

pub fn verify(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "verify", |c, row, role| {
        act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Verify,
                version,
                detail: Msg::default(),
            },
            |_, _| Ok(()),
        )
        .map(|_| ())
    })
}

/// Gives the case the next diary number of the Swedish year, in the caller's transaction.
pub(super) fn assign_diary_number(
    conn: &mut DbConnection,
    ctx: &Ctx,
    prefix: &str,
    row: &mut CaseRow,
) -> Result<String, ServiceError> {
    if let Some(n) = &row.diary_number {
        return Ok(n.clone()); // set once
    }
    use chrono::Datelike;
    let year = swedish_today(ctx).year();
    let seq = cases::next_diary_seq(conn, year)?;
    let number = DiaryNumber::new(prefix, year, seq).to_string();
    row.diary_year = Some(year);
    row.diary_seq = Some(seq);
    row.diary_number = Some(number.clone());
    Ok(number)
}

/// What the handler gives when recording an execution: the helpdesk reference and the
/// confirmation that the step is done in 1177 (the Plexus note comes after, once the diary
/// number exists: `record_plexus`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ExecuteInput {
    #[serde(default)]
    pub helpdesk_ref: String,
    /// "Jag har låst/låst upp inloggningen i personalverktyget" (a checkbox).
    #[serde(default)]
    pub confirmed: bool,
    #[serde(default)]
    pub version: i32,
}

/// "Verkställd i 1177 e-tjänster personalverktyg" (checklist 8) and the diary number (9); for an
/// unlock the timeline names the earlier case's number.
pub fn execute(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &ExecuteInput,
    wf: &Workflow,
) -> Result<String, ServiceError> {
    let mut e = FieldErrors::default();
    let helpdesk = text_field(
        &mut e,
        "helpdesk_ref",
        &input.helpdesk_ref,
        SHORT_MAX,
        false,
    );
    for f in locks::execution_errors(input.confirmed, &helpdesk, wf.require_helpdesk_ref) {
        e.add(f, crate::messages::execution_missing(f));
    }
    let actor_id = ctx.actor()?.user_id;
    with_case(conn, ctx, id, "execute", |c, row, role| {
        // Another role's attempt is a refusal (logged) before anything it typed is judged.
        if role != Role::Handler {
            return Err(ctx.denial(
                Access::HandleCases,
                Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ));
        }
        e.into_result()?;
        // An unlock still undoes a lock in force: another unlock may have lifted it meanwhile.
        if let (Kind::Unlock, Some(rid)) = (row.kind, row.related_case_id) {
            let all = citizen_cases(c, &row.citizen_pnr)?;
            let facts: Vec<locks::CaseFact> = all.iter().map(case_fact).collect();
            if let Err(err) = locks::check_unlock_reference(rid, &facts) {
                return Err(ServiceError::Refused(
                    Msg::key("case-msg-unlock-cannot-execute").arg(
                        "problem",
                        Arg::Key(crate::messages::unlock_ref(err).0.into()),
                    ),
                ));
            }
        }
        let related = match row.related_case_id {
            Some(rid) => cases::get(c, rid)?.and_then(|r| r.diary_number),
            None => None,
        };
        let mut number = String::new();
        let detail_ref = related.as_ref().map_or(Arg::Str(String::new()), |n| {
            Arg::Parts(vec![
                Arg::Str(" ".into()),
                Arg::Msg(Box::new(
                    Msg::key("case-detail-ref").arg("number", n.as_str()),
                )),
            ])
        });
        let row = act(
            c,
            ctx,
            row,
            role,
            Step {
                action: Action::Execute,
                version: input.version,
                detail: Msg::default(),
            },
            |c, r| {
                number = assign_diary_number(c, ctx, &wf.diary_prefix, r)?;
                r.executed_at = Some(db::ts(ctx.now));
                r.executed_by_user_id = Some(actor_id);
                if r.kind == Kind::Lock {
                    r.review_due = Some(crate::domain::review::review_due(ctx.now));
                }
                r.helpdesk_ref = helpdesk.clone();
                Ok(())
            },
        )?;
        let detail = Msg::key("case-detail-executed")
            .arg("number", number.as_str())
            .arg("ref", detail_ref)
            .arg(
                "helpdesk",
                if helpdesk.is_empty() {
                    Arg::Str(String::new())
                } else {
                    Arg::Parts(vec![
                        Arg::Str("; ".into()),
                        Arg::Msg(Box::new(
                            Msg::key("case-detail-helpdesk").arg("ref", helpdesk.as_str()),
                        )),
                    ])
                },
            );
        cases::add_event_msg(
            c,
            row.id,
            db::ts(ctx.now),
            Some(actor_id),
            &ctx.actor()?.name,
            "Registrerade diarienummer",
            &detail,
        )?;
        // An executed unlock ends its lock: no more review, no reminders. The lock's version
        // moves on, so a review begun on the lock before this commits is a conflict.
        if let (Some(rid), true) = (row.related_case_id, row.kind == Kind::Unlock) {
            cases::end_review(c, rid, db::ts(ctx.now))?;
            cases::add_event_msg(
                c,
                rid,
                db::ts(ctx.now),
                Some(actor_id),
                &ctx.actor()?.name,
                "Låsningen hävdes genom upplåsning",
                &Msg::key("case-detail-lifted-by").arg("number", number.as_str()),
            )?;
        }
        crate::service::feedback::enqueue(c, ctx, &row, wf)?;
        Ok(number)
    })
}

/// The Plexus note (002 §6, 11: "lägg diarienummer i Plexus"), recorded by the handler once the
/// lock has its diary number (`domain::locks::plexus_due`).
pub fn record_plexus(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    version: i32,
    plexus_ref: &str,
) -> Result<(), ServiceError> {
    let mut e = FieldErrors::default();
    let plexus = text_field(&mut e, "plexus_ref", plexus_ref, SHORT_MAX, true);
    e.into_result()?;
    with_case(conn, ctx, id, "plexus", |c, mut row, role| {
        if role != Role::Handler {
            return Err(ctx.denial(
                Access::HandleCases,
                Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ));
        }
        if !locks::plexus_due(
            &case_fact(&row),
            row.diary_number.is_some(),
            &row.plexus_ref,
        ) {
            return Err(ServiceError::Refused(Msg::key("case-msg-plexus-once")));
        }
        if row.version != version {
            return Err(conflict(c, id)?);
        }
        row.plexus_ref = plexus.clone();
        row.updated_at = db::ts(ctx.now);
        if !cases::save(c, &row, version)? {
            return Err(conflict(c, id)?);
        }
        record(
            c,
            ctx,
            &row,
            Some(role),
            "case_plexus",
            Some((
                "Antecknade diarienumret i Plexus",
                &format!("Plexus {plexus}."),
            )),
        )
    })
}
