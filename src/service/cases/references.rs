//! What an unlock may refer to, as the actor may see it: the units whose cases a role shows,
//! the locks in force an unlock form proposes, and the check of the lock an unlock names.

use super::*;

/// The units whose cases `role` lets the actor see: `None` is every unit (a handler, or the
/// intake API and jobs, which act for the region).
pub(super) fn visible_units(ctx: &Ctx, role: Role) -> Option<Vec<i64>> {
    match ctx.principal.staff() {
        Some(a) if role != Role::Handler => Some(a.unit_ids()),
        _ => None,
    }
}

/// The locks an unlock may undo, as the actor may see them: the citizen's executed locks still
/// in force (`domain::locks::locks_in_force`: not lifted by an executed unlock), newest first —
/// of the actor's own units, unless the actor acts as a handler. Another unit's lock is never
/// proposed nor accepted: that a citizen is locked is itself sensitive.
pub fn proposed_locks(
    conn: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    pnr: &str,
) -> Result<Vec<CaseRow>, ServiceError> {
    let units = visible_units(ctx, role);
    let all = citizen_cases(conn, pnr)?;
    let facts: Vec<locks::CaseFact> = all.iter().map(case_fact).collect();
    let in_force = locks::locks_in_force(&facts);
    Ok(in_force
        .into_iter()
        .filter_map(|id| all.iter().find(|c| c.id == id))
        .filter(|c| units.as_ref().is_none_or(|u| u.contains(&c.unit_id)))
        .cloned()
        .collect())
}

/// Whether an unlock of `pnr` may undo case `id` (`domain::locks::check_unlock_reference`); a
/// case of a unit the actor may not see is as unknown as one that does not exist.
pub(super) fn unlock_reference(
    conn: &mut DbConnection,
    ctx: &Ctx,
    role: Role,
    pnr: &str,
    id: i64,
) -> Result<Result<i64, locks::UnlockRefError>, ServiceError> {
    let units = visible_units(ctx, role);
    let all = citizen_cases(conn, pnr)?;
    if !all
        .iter()
        .any(|c| c.id == id && units.as_ref().is_none_or(|u| u.contains(&c.unit_id)))
    {
        return Ok(Err(locks::UnlockRefError::Unknown));
    }
    let facts: Vec<locks::CaseFact> = all.iter().map(case_fact).collect();
    Ok(locks::check_unlock_reference(id, &facts).map(|()| id))
}
