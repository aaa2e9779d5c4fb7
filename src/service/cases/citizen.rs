//! One citizen across cases (`domain::locks`): whether a new lock duplicates a lock in force or
//! an open lock case, and "who is locked now" for the handler answering the phone.

use super::*;

/// A new lock for `pnr` and what it would duplicate, as `role` may see it (a unit's staff only
/// their units' cases: that a citizen is locked elsewhere is itself sensitive). Whether a lock
/// is in force is decided over every unit's cases (an unlock of any unit lifts it).
pub fn duplicates_of(
    conn: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    pnr: &str,
    this_case: Option<i64>,
) -> Result<(locks::Duplicates, Vec<CaseRow>), ServiceError> {
    let all = citizen_cases(conn, pnr)?;
    Ok(duplicates_among(ctx, role, this_case, &all))
}

/// [`duplicates_of`] over the citizen's cases already read (`citizen_cases`).
pub fn duplicates_among(
    ctx: &Ctx,
    role: Role,
    this_case: Option<i64>,
    all: &[CaseRow],
) -> (locks::Duplicates, Vec<CaseRow>) {
    let facts: Vec<locks::CaseFact> = all.iter().map(case_fact).collect();
    let units = visible_units(ctx, role);
    let seen = |id: &i64| {
        all.iter()
            .any(|c| c.id == *id && units.as_ref().is_none_or(|u| u.contains(&c.unit_id)))
    };
    let mut d = locks::duplicates(this_case, &facts);
    d.in_force.retain(seen);
    d.awaiting_form.retain(seen);
    d.open.retain(seen);
    let rows = all
        .iter()
        .filter(|c| d.in_force.contains(&c.id) || d.open.contains(&c.id))
        .cloned()
        .collect();
    (d, rows)
}

/// A case's number as people say it, as an argument of a message: its diary number, or
/// "ärende nr N" in the reader's language (pages: `web::cases::words::case_label`).
pub fn case_label_arg(r: &CaseRow) -> Arg {
    match &r.diary_number {
        Some(d) => Arg::Str(d.clone()),
        None => Arg::Msg(Box::new(Msg::key("case-view-number").arg("id", r.id))),
    }
}

/// A new lock that duplicates a lock in force or an open lock case is accepted only with a reason
/// (`domain::locks::accept_new_lock`), which is kept on the case; the refusal is beside
/// `duplicate_reason`, naming the cases it duplicates.
pub(super) fn check_duplicate(
    conn: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    row: &mut CaseRow,
    reason: &str,
    e: &mut FieldErrors,
) -> Result<(), ServiceError> {
    row.duplicate_reason.clear();
    if row.kind != Kind::Lock || row.citizen_pnr.len() != 12 {
        return Ok(());
    }
    // Two requests for one citizen at once must not both see "not locked yet".
    db::lock_citizen(conn, &row.citizen_pnr)?;
    let this = (row.id != 0).then_some(row.id);
    let (d, rows) = duplicates_of(conn, ctx, role, &row.citizen_pnr, this)?;
    if d.is_empty() {
        return Ok(());
    }
    let reason = text_field(e, "duplicate_reason", reason, TEXT_MAX, false);
    match locks::accept_new_lock(&d, &reason) {
        Ok(()) => row.duplicate_reason = reason,
        Err(dup) => {
            let mut named = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    named.push(Arg::Str(", ".into()));
                }
                named.push(case_label_arg(r));
            }
            e.add(
                "duplicate_reason",
                Msg::key("case-err-duplicate")
                    .arg(
                        "problem",
                        Arg::Key(crate::messages::duplicate(dup).0.into()),
                    )
                    .arg("cases", Arg::Parts(named)),
            );
        }
    }
    Ok(())
}

/// The timeline line for an accepted duplicate (nothing when it was none).
pub(super) fn note_duplicate(
    conn: &mut DbConnection,
    ctx: &Ctx,
    row: &CaseRow,
) -> Result<(), ServiceError> {
    if row.duplicate_reason.is_empty() {
        return Ok(());
    }
    cases::add_event(
        conn,
        row.id,
        db::ts(ctx.now),
        ctx.user_id(),
        &ctx.principal.timeline_name(),
        "Bekräftade ny låsning trots befintlig låsning eller öppet ärende",
        &row.duplicate_reason,
    )?;
    Ok(())
}

/// One lock in force, as "who is locked now" shows it.
pub struct LockNow {
    pub case: CaseRow,
    pub unit_name: String,
}

/// "Who is locked now" for one citizen.
pub struct CitizenNow {
    /// The personnummer as typed, canonical (for the page).
    pub pnr: String,
    /// Locks in force, newest first.
    pub locked: Vec<LockNow>,
    /// Locks lifted, with the unlock that lifted each.
    pub lifted: Vec<(CaseRow, CaseRow)>,
    /// Cases under way (not executed, not withdrawn).
    pub under_way: Vec<CaseRow>,
    /// The reader sees only their units' cases.
    pub own_units_only: bool,
}

/// The citizen's state now (`domain::locks::now`): for handlers over every unit, for a unit's
/// staff over their units' cases. The personnummer comes in a POST body; the read is logged
/// naming the citizen, in the same transaction.
pub fn citizen_now(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &str,
) -> Result<CitizenNow, ServiceError> {
    let role = ctx.require(Access::ListCases)?;
    let pnr = Personnummer::parse(input, swedish_today(ctx)).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.add("pnr", crate::messages::personnummer(e));
        ServiceError::Invalid(errors)
    })?;
    let units = visible_units(ctx, role);
    db::write_tx(conn, |c| {
        let all = citizen_cases(c, &pnr.digits())?;
        let facts: Vec<locks::CaseFact> = all.iter().map(case_fact).collect();
        let state = locks::now(&facts);
        let visible = |id: i64| {
            all.iter()
                .find(|r| r.id == id)
                .filter(|r| units.as_ref().is_none_or(|u| u.contains(&r.unit_id)))
                .cloned()
        };
        let mut locked = vec![];
        for id in &state.in_force {
            if let Some(case) = visible(*id) {
                let unit_name = org::unit(c, case.unit_id)?
                    .map(|u| u.name)
                    .unwrap_or_default();
                locked.push(LockNow { case, unit_name });
            }
        }
        let lifted = state
            .lifted
            .iter()
            .filter_map(|(l, u)| Some((visible(*l)?, visible(*u)?)))
            .collect();
        let under_way = state
            .under_way
            .iter()
            .filter_map(|id| visible(*id))
            .collect();
        let mut e = ctx.entry(Some(role), "citizen_now", None);
        e.personnummer = Some(pnr.digits());
        e.detail = Some(
            Msg::key("log-citizen-locks").arg("n", locked.len()).arg(
                "scope",
                crate::i18n::Arg::Key(
                    if units.is_some() {
                        "log-scope-own-units"
                    } else {
                        "log-scope-all-units"
                    }
                    .into(),
                ),
            ),
        );
        ctx.log(c, &e)?;
        Ok(CitizenNow {
            pnr: pnr.canonical(),
            locked,
            lifted,
            under_way,
            own_units_only: units.is_some(),
        })
    })
}
