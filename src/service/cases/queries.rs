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
    pub earlier: Vec<CaseRow>,
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
}

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
            let events = cases::events(c, id)?;
            let checks = cases::checks(c, id)?;
            let handler = role == Role::Handler;
            let earlier = if handler {
                cases::for_citizen(c, &row.citizen_pnr, 50)?
                    .into_iter()
                    .filter(|x| x.id != id)
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
            let name_revealed = reveal && protected;
            record(
                c,
                ctx,
                &row,
                Some(role),
                if name_revealed {
                    "case_reveal_name"
                } else {
                    "case_view"
                },
                None,
            )?;
            if name_revealed {
                cases::add_event(
                    c,
                    id,
                    db::ts(ctx.now),
                    ctx.user_id(),
                    &ctx.actor()?.name,
                    "Visade namnet på en invånare med skyddade personuppgifter",
                    "",
                )?;
            }
            let mut case = row;
            // The register's protected flag masks the citizen as well.
            case.citizen_protected = protected;
            let actions = case::available_actions(
                case.status,
                case.kind,
                facts(ctx.actor()?, role, &case, &checks),
            );
            Ok(CaseView {
                missing: missing_fields(&case),
                applicable_checks: grounds::applicable_checks(
                    case.channel == crate::domain::case::Channel::Paper,
                    case.care_provider_id.is_some(),
                ),
                case,
                role,
                unit,
                provider,
                events: if name_revealed {
                    cases::events(c, id)?
                } else {
                    events
                },
                checks,
                earlier,
                register: register_person,
                related_diary_number,
                review_responsible,
                name_revealed,
                attachments: crate::db::attachments::for_case(c, id)?,
                deliveries: crate::db::outbox::for_case(c, id)?,
                actions,
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
}

pub fn form_choices(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit_id: Option<i64>,
    kind: &str,
    pnr: &str,
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
    let locks = match Personnummer::parse(pnr, swedish_today(ctx)) {
        Ok(p) => {
            let digits = p.digits();
            let role = if actor.has(Role::Handler) {
                Role::Handler
            } else {
                role
            };
            db::write_tx(conn, |c| {
                let (locks, mut e) = if kind == "unlock" {
                    let locks = proposed_locks(c, ctx, role, &digits)?;
                    let mut e = ctx.entry(Some(role), "unlock_form_locks", None);
                    e.detail = Some(format!("{} låsningar föreslogs", locks.len()));
                    (locks, e)
                } else {
                    (vec![], ctx.entry(Some(role), "case_form_view", None))
                };
                e.personnummer = Some(digits.clone());
                ctx.log(c, &e)?;
                Ok::<_, ServiceError>(locks)
            })?
        }
        Err(_) => vec![],
    };
    Ok(FormChoices {
        units,
        members,
        providers: org::approved_providers(conn)?,
        locks,
    })
}

/// The diary (no citizen data): registered cases of one year by number.
pub fn diary(
    conn: &mut DbConnection,
    ctx: &Ctx,
    year: i32,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CaseRow>, i64), ServiceError> {
    ctx.require(Access::Diary)?;
    Ok(cases::diary_page(conn, year, limit, offset)?)
}
