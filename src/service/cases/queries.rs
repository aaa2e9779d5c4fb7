//! What people read: the case page, lists, the queue, searching a personnummer, the form's
//! choices and the diary. Every read of a citizen is logged in the same transaction.

use super::*;

/// Everything the case page shows.
pub struct CaseView {
    pub case: CaseRow,
    pub role: Role,
    pub unit: Option<Unit>,
    pub provider: Option<CareProvider>,
    pub events: Vec<CaseEvent>,
    pub checks: Vec<CaseCheck>,
    /// The citizen's other cases (for handlers: checklist item 4 shown by itself).
    pub earlier: Vec<CaseSummary>,
    pub register: Option<RegisterPerson>,
    pub related_diary_number: Option<String>,
    /// The name of the person responsible for the review (never the account row).
    pub review_responsible: Option<String>,
    pub missing: FieldErrors,
    pub applicable_checks: Vec<&'static str>,
    pub name_revealed: bool,
    pub attachments: Vec<crate::db::attachments::Attachment>,
    /// The steps this user may take on the case now (`domain::case::available_actions`).
    pub actions: Vec<Action>,
    pub deliveries: Vec<crate::db::outbox::Delivery>,
    /// Checklist item 2 as the system compares it (handlers only).
    pub name_match: Option<crate::domain::names::NameMatch>,
    /// The role this user would sign in on this case (a decider of the unit), if any.
    pub signer_role: Option<crate::domain::decider::DeciderRole>,
    /// The executed unlock that lifted this lock (`domain::locks::lifted_by`).
    pub lifted_by: Option<CaseRow>,
    /// The lock's diary number still has to go into Plexus (handlers).
    pub plexus_due: bool,
    /// For handlers, on an incoming lock: the citizen's emergency locks waiting for their form,
    /// which this form may be.
    pub awaiting_form: Vec<CaseRow>,
}

/// How long after "Visa namnet" the case page keeps showing the name (the reveal itself is
/// logged once, by the POST; the page the browser is sent to, and its reloads, are views).
pub const REVEAL_MINUTES: i64 = 15;

/// "Visa namnet (loggas)": records that this user reveals a protected citizen's name — the
/// access log (`case_reveal_name`) and the timeline — once. The page is then shown by a GET
/// (`view` with `reveal`), so a reload does not post, and log, again.
pub fn reveal_name(conn: &mut DbConnection, ctx: &Ctx, id: i64) -> Result<(), ServiceError> {
    with_case(conn, ctx, id, "reveal_name", |c, row, role| {
        record(c, ctx, &row, Some(role), "case_reveal_name", None)?;
        cases::add_event(
            c,
            id,
            db::ts(ctx.now),
            ctx.user_id(),
            &ctx.actor()?.name,
            REVEAL_EVENT,
            "",
        )?;
        Ok(())
    })
}

const REVEAL_EVENT: &str = "Visade namnet på en invånare med skyddade personuppgifter";

/// Opens a case; the view (with the personnummer) is written to the access log in the same
/// transaction. `reveal` shows a protected citizen's name, as its own logged action.
pub fn view(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    register: &dyn PopulationRegister,
    reveal: bool,
) -> Result<CaseView, ServiceError> {
    with_case(
        conn,
        ctx,
        id,
        if reveal { "reveal_name" } else { "view" },
        |c, row, role| {
            let unit = org::unit(c, row.unit_id)?;
            let provider = match row.care_provider_id {
                Some(p) => org::provider(c, p)?,
                None => None,
            };
            // The timeline, checklist, files and deliveries: one statement.
            let cases::CaseParts {
                events,
                checks,
                attachments,
                deliveries,
            } = cases::parts(c, id)?;
            let handler = role == Role::Handler;
            // The citizen's cases, read once: the handler's "earlier cases" and whether an
            // executed unlock has lifted this lock.
            let all = if handler || (row.kind == Kind::Lock && row.executed_at.is_some()) {
                citizen_cases(c, &row.citizen_pnr)?
            } else {
                vec![]
            };
            let earlier = if handler {
                all.iter()
                    .filter(|x| x.id != id)
                    .take(50)
                    .cloned()
                    .map(CaseSummary::from)
                    .collect()
            } else {
                vec![]
            };
            let pnr = Personnummer::parse(&row.citizen_pnr, swedish_today(ctx)).ok();
            let register_person = if handler {
                pnr.as_ref().and_then(|p| register.lookup(p))
            } else {
                None
            };
            let related_diary_number = match row.related_case_id {
                Some(r) => cases::get(c, r)?.and_then(|x| x.diary_number),
                None => None,
            };
            let review_responsible = match row.review_responsible_user_id {
                Some(u) => users::by_id(c, u)?.map(|u| u.name),
                None => None,
            };
            let protected =
                row.citizen_protected || register_person.as_ref().is_some_and(|p| p.protected);
            if protected && !row.citizen_protected {
                // The register knows better than the form: from now on the citizen is masked
                // everywhere (lists, print, exports), for every reader.
                cases::set_protected(c, id)?;
                cases::add_event(
                    c,
                    id,
                    db::ts(ctx.now),
                    None,
                    "Folkbokföringen",
                    "Invånaren har skyddade personuppgifter enligt folkbokföringen; namnet maskeras",
                    "",
                )?;
            }
            // The name is shown when this user revealed it (POST, logged) a moment ago.
            let since = db::ts(ctx.now - chrono::Duration::minutes(REVEAL_MINUTES));
            let name_revealed = reveal
                && protected
                && match ctx.user_id() {
                    Some(u) => cases::has_event_since(c, id, u, REVEAL_EVENT, since)?,
                    None => false,
                };
            let mut entry = ctx.entry(Some(role), "case_view", Some(format!("case:{id}")));
            entry.unit_code = Some(unit_code(c, row.unit_id)?);
            entry.personnummer = Some(row.citizen_pnr.clone());
            if name_revealed {
                entry.detail = Some(Msg::key("log-protected-name-shown"));
            }
            ctx.log(c, &entry)?;
            let name_match = register_person
                .as_ref()
                .map(|p| crate::domain::names::compare(&row.citizen_name, Some(&p.name)));
            let name_match = if handler {
                Some(name_match.unwrap_or(crate::domain::names::NameMatch::NotInRegister))
            } else {
                None
            };
            let actor = ctx.actor()?;
            let signer_role = match (&unit, role) {
                (Some(u), Role::Manager | Role::Clinician) if actor.is_decider => {
                    Some(crate::domain::decider::DeciderRole::on_unit(
                        actor.user_id,
                        u.manager_user_id,
                        u.medical_lead_user_id,
                    ))
                }
                _ => None,
            };
            let lifted_by = lifted_among(&row, &all);
            let awaiting_form = if handler
                && row.kind == Kind::Lock
                && row.channel != Channel::Emergency
                && row.status.is_open()
            {
                // The handler's view read the citizen's cases above: no second read.
                let (d, rows) = super::citizen::duplicates_among(ctx, role, Some(id), &all);
                rows.into_iter()
                    .filter(|r| d.awaiting_form.contains(&r.id))
                    .collect()
            } else {
                vec![]
            };
            let mut case = row;
            // The register's protected flag masks the citizen as well.
            case.citizen_protected = protected;
            let provider_facts = provider_facts(provider.as_ref());
            let actions = case::available_actions(
                case.status,
                case.kind,
                facts(
                    ctx.actor()?,
                    role,
                    &case,
                    &checks,
                    provider_facts,
                    lifted_by.is_some(),
                ),
            );
            let plexus_due = handler
                && locks::plexus_due(
                    &case_fact(&case),
                    case.diary_number.is_some(),
                    &case.plexus_ref,
                );
            Ok(CaseView {
                missing: missing_fields(&case),
                applicable_checks: grounds::applicable_checks(
                    case.channel == crate::domain::case::Channel::Paper,
                    provider_facts,
                ),
                case,
                role,
                unit,
                provider,
                events,
                checks,
                earlier,
                register: register_person,
                related_diary_number,
                review_responsible,
                name_revealed,
                attachments,
                deliveries,
                actions,
                name_match,
                signer_role,
                lifted_by,
                plexus_due,
                awaiting_form,
            })
        },
    )
}

/// Units and people for the case form.
pub struct FormChoices {
    pub units: Vec<Unit>,
    pub members: Vec<User>,
    pub providers: Vec<CareProvider>,
    pub locks: Vec<CaseRow>,
    /// For a new lock: the citizen's locks in force and open lock cases it would duplicate, as
    /// the user may see them (`duplicates_of`).
    pub existing: Vec<CaseRow>,
}

pub fn form_choices(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit_id: Option<i64>,
    kind: &str,
    pnr: &str,
    this_case: Option<i64>,
) -> Result<FormChoices, ServiceError> {
    let actor = ctx.actor()?;
    let role = creating_role(ctx, actor)?;
    let units: Vec<Unit> = if actor.has(Role::Handler) {
        org::all_units(conn)?
            .into_iter()
            .filter(|u| u.active)
            .collect()
    } else {
        let ids: Vec<i64> = actor.units.iter().map(|u| u.id).collect();
        org::all_units(conn)?
            .into_iter()
            .filter(|u| ids.contains(&u.id) && u.active)
            .collect()
    };
    let unit = unit_id.or_else(|| units.first().map(|u| u.id));
    let members = match unit {
        Some(u) => users::members_of(conn, u)?,
        None => vec![],
    };
    // A form shown with a personnummer in it (a re-render, an edit) is a logged read of that
    // citizen. For an unlock it also proposes the earlier locks it may undo — only those the user
    // may see — and that lookup is logged even when none is found.
    let (locks, existing) = match Personnummer::parse(pnr, swedish_today(ctx)) {
        Ok(p) => {
            let digits = p.digits();
            let role = if actor.has(Role::Handler) {
                Role::Handler
            } else {
                role
            };
            db::write_tx(conn, |c| {
                let (locks, existing, mut e) = if kind == "unlock" {
                    let locks = proposed_locks(c, ctx, role, &digits)?;
                    let mut e = ctx.entry(Some(role), "unlock_form_locks", None);
                    e.detail = Some(Msg::key("log-locks-proposed").arg("n", locks.len()));
                    (locks, vec![], e)
                } else {
                    let (_, existing) = duplicates_of(c, ctx, role, &digits, this_case)?;
                    (
                        vec![],
                        existing,
                        ctx.entry(Some(role), "case_form_view", None),
                    )
                };
                e.personnummer = Some(digits.clone());
                ctx.log(c, &e)?;
                Ok::<_, ServiceError>((locks, existing))
            })?
        }
        Err(_) => (vec![], vec![]),
    };
    Ok(FormChoices {
        units,
        members,
        providers: org::approved_providers(conn)?,
        locks,
        existing,
    })
}

/// One line of the diary (SPEC §4: number, date and type; no citizen data).
pub struct DiaryLine {
    pub case_id: i64,
    pub number: String,
    /// The day the number was given (the execution, or the emergency call), Swedish time.
    pub registered: Option<NaiveDate>,
    pub kind: Kind,
    pub channel: Channel,
    pub status: Status,
    /// An unlock's reference to its lock's diary number.
    pub reference: Option<String>,
}

/// A stretch of one year's diary.
pub struct DiaryStretch {
    pub lines: Vec<DiaryLine>,
    /// Registered cases in the year.
    pub total: i64,
    /// Where the next page starts (`efter`), when there is one.
    pub next_after: Option<i64>,
}

fn diary_lines(c: &mut DbConnection, rows: Vec<CaseRow>) -> Result<Vec<DiaryLine>, ServiceError> {
    let refs: Vec<i64> = rows.iter().filter_map(|r| r.related_case_id).collect();
    let numbers: std::collections::HashMap<i64, Option<String>> =
        cases::diary_numbers_of(c, &refs)?.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|r| DiaryLine {
            case_id: r.id,
            number: r.diary_number.clone().unwrap_or_default(),
            registered: r.executed_at.map(|t| {
                t.and_utc()
                    .with_timezone(&chrono_tz::Europe::Stockholm)
                    .date_naive()
            }),
            kind: r.kind,
            channel: r.channel,
            status: r.status,
            reference: r
                .related_case_id
                .and_then(|id| numbers.get(&id).cloned().flatten()),
        })
        .collect())
}

/// One page of the diary after diary sequence `after` (keyset), `limit` lines.
pub fn diary_page(
    conn: &mut DbConnection,
    ctx: &Ctx,
    year: i32,
    after: Option<i64>,
    limit: i64,
) -> Result<DiaryStretch, ServiceError> {
    ctx.require(Access::Diary)?;
    let (rows, total) = cases::diary_after(conn, year, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<CaseRow> = rows.into_iter().take(limit.max(0) as usize).collect();
    let next_after = if more {
        rows.last().and_then(|r| r.diary_seq)
    } else {
        None
    };
    Ok(DiaryStretch {
        lines: diary_lines(conn, rows)?,
        total,
        next_after,
    })
}

/// The whole diary of a year, for printing (read in keyset pages of 5 000; no citizen data).
pub fn diary_year(
    conn: &mut DbConnection,
    ctx: &Ctx,
    year: i32,
) -> Result<DiaryStretch, ServiceError> {
    ctx.require(Access::Diary)?;
    let mut rows = Vec::new();
    let mut after = None;
    let total = loop {
        let (chunk, t) = cases::diary_after(conn, year, after, 5000)?;
        let last = chunk.last().and_then(|r| r.diary_seq);
        let n = chunk.len();
        rows.extend(chunk);
        if n < 5000 || last.is_none() {
            break t;
        }
        after = last;
    };
    Ok(DiaryStretch {
        lines: diary_lines(conn, rows)?,
        total,
        next_after: None,
    })
}
