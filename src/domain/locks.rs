//! The lifecycle across one citizen's cases (SPEC §2–3, instruction 002 §6 and §9): which locks
//! are in force, which lock an unlock may undo, when a new lock duplicates one, and who is locked
//! now. Pure: a service loads the citizen's cases as [`CaseFact`]s and asks these functions.
//!
//! ```text
//! lock  ─executed─▶ in force ─an executed unlock that undoes it─▶ lifted (no review, no reminders)
//! ```

use super::case::{Kind, Status};

/// What these rules need of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFact {
    pub id: i64,
    pub kind: Kind,
    pub status: Status,
    /// The step was done in 1177 (the case has its execution time).
    pub executed: bool,
    /// For an unlock: the lock it undoes.
    pub undoes: Option<i64>,
}

/// Done in 1177: executed, closed after feedback, or an emergency lock waiting for its form.
pub fn is_executed(c: &CaseFact) -> bool {
    c.executed
        && matches!(
            c.status,
            Status::Executed | Status::Closed | Status::FormPending
        )
}

/// The executed unlock that lifted `lock` (the first, if several), or None while it is in force.
pub fn lifted_by(lock: i64, cases: &[CaseFact]) -> Option<i64> {
    cases
        .iter()
        .filter(|c| c.kind == Kind::Unlock && is_executed(c) && c.undoes == Some(lock))
        .map(|c| c.id)
        .min()
}

/// The citizen's locks in force — executed and not lifted — newest first. These, and only these,
/// may be undone by an unlock.
pub fn locks_in_force(cases: &[CaseFact]) -> Vec<i64> {
    let mut v: Vec<i64> = cases
        .iter()
        .filter(|c| c.kind == Kind::Lock && is_executed(c) && lifted_by(c.id, cases).is_none())
        .map(|c| c.id)
        .collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.dedup();
    v
}

/// Why an unlock may not undo a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnlockRefError {
    #[error("not one of the citizen's cases")]
    Unknown,
    #[error("not a lock")]
    NotALock,
    #[error("the lock was never executed")]
    NotExecuted,
    #[error("already lifted by case {0}")]
    AlreadyLifted(i64),
}

/// May an unlock of this citizen undo `lock`: it must be one of the citizen's executed locks that
/// no executed unlock has lifted yet.
pub fn check_unlock_reference(lock: i64, cases: &[CaseFact]) -> Result<(), UnlockRefError> {
    let c = cases
        .iter()
        .find(|c| c.id == lock)
        .ok_or(UnlockRefError::Unknown)?;
    if c.kind != Kind::Lock {
        return Err(UnlockRefError::NotALock);
    }
    if !is_executed(c) {
        return Err(UnlockRefError::NotExecuted);
    }
    match lifted_by(lock, cases) {
        Some(by) => Err(UnlockRefError::AlreadyLifted(by)),
        None => Ok(()),
    }
}

/// What a new lock of the citizen would duplicate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duplicates {
    /// Locks in force (newest first).
    pub in_force: Vec<i64>,
    /// Of those, emergency locks waiting for their written form: the new form may be that form.
    pub awaiting_form: Vec<i64>,
    /// Lock cases still open (draft to verified, or returned).
    pub open: Vec<i64>,
}

impl Duplicates {
    pub fn is_empty(&self) -> bool {
        self.in_force.is_empty() && self.open.is_empty()
    }
}

/// The locks a new lock (`new_case`, None before it exists) would duplicate.
pub fn duplicates(new_case: Option<i64>, cases: &[CaseFact]) -> Duplicates {
    let other = |id: &i64| Some(*id) != new_case;
    let in_force: Vec<i64> = locks_in_force(cases).into_iter().filter(other).collect();
    let awaiting_form = cases
        .iter()
        .filter(|c| c.status == Status::FormPending && in_force.contains(&c.id))
        .map(|c| c.id)
        .collect();
    let mut open: Vec<i64> = cases
        .iter()
        .filter(|c| c.kind == Kind::Lock && c.status.is_open() && other(&c.id))
        .map(|c| c.id)
        .collect();
    open.sort_unstable_by(|a, b| b.cmp(a));
    Duplicates {
        in_force,
        awaiting_form,
        open,
    }
}

/// What a new lock without a reason duplicates (`messages::duplicate` words it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    /// The citizen's login is locked already.
    Locked,
    /// A lock case for the citizen is still open.
    OpenCase,
}

/// A new lock is accepted when it duplicates nothing, or when the person filing it confirms with
/// a reason (which is recorded on the case).
pub fn accept_new_lock(d: &Duplicates, reason: &str) -> Result<(), Duplicate> {
    if d.is_empty() || !reason.trim().is_empty() {
        Ok(())
    } else if !d.in_force.is_empty() {
        Err(Duplicate::Locked)
    } else {
        Err(Duplicate::OpenCase)
    }
}

/// What the handler must give when recording an execution: a confirmation that the step is done
/// in 1177, and the helpdesk reference where the region uses one. Returns the fields missing
/// (`helpdesk_ref`, `confirmed`; `messages::execution_missing` words them).
pub fn execution_errors(
    confirmed: bool,
    helpdesk_ref: &str,
    helpdesk_required: bool,
) -> Vec<&'static str> {
    let mut e = vec![];
    if helpdesk_required && helpdesk_ref.trim().is_empty() {
        e.push("helpdesk_ref");
    }
    if !confirmed {
        e.push("confirmed");
    }
    e
}

/// The diary number of an executed lock still has to go into Plexus (002 §6, 11): only after
/// the number exists, only for locks.
pub fn plexus_due(c: &CaseFact, has_diary_number: bool, plexus_ref: &str) -> bool {
    c.kind == Kind::Lock && is_executed(c) && has_diary_number && plexus_ref.trim().is_empty()
}

/// The citizen's state now, as the handler answering the phone needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Now {
    /// Locks in force (newest first); empty: not locked.
    pub in_force: Vec<i64>,
    /// Locks that were lifted, with the unlock that lifted each (newest lock first).
    pub lifted: Vec<(i64, i64)>,
    /// Cases still under way (any kind; not executed, not withdrawn).
    pub under_way: Vec<i64>,
}

impl Now {
    pub fn is_locked(&self) -> bool {
        !self.in_force.is_empty()
    }
}

pub fn now(cases: &[CaseFact]) -> Now {
    let mut lifted: Vec<(i64, i64)> = cases
        .iter()
        .filter(|c| c.kind == Kind::Lock && is_executed(c))
        .filter_map(|c| lifted_by(c.id, cases).map(|by| (c.id, by)))
        .collect();
    lifted.sort_unstable_by(|a, b| b.cmp(a));
    let mut under_way: Vec<i64> = cases
        .iter()
        .filter(|c| c.status.is_open())
        .map(|c| c.id)
        .collect();
    under_way.sort_unstable_by(|a, b| b.cmp(a));
    Now {
        in_force: locks_in_force(cases),
        lifted,
        under_way,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case(id: i64, kind: Kind, status: Status, undoes: Option<i64>) -> CaseFact {
        CaseFact {
            id,
            kind,
            status,
            executed: matches!(
                status,
                Status::Executed | Status::Closed | Status::FormPending
            ),
            undoes,
        }
    }

    #[test]
    fn an_unlock_undoes_only_an_executed_lock_in_force() {
        let cases = [
            case(1, Kind::Lock, Status::Closed, None),
            case(2, Kind::Unlock, Status::Executed, Some(1)),
            case(3, Kind::Lock, Status::Draft, None),
            case(4, Kind::Lock, Status::Executed, None),
            case(5, Kind::Unlock, Status::Submitted, Some(4)),
            case(6, Kind::Lock, Status::FormPending, None),
        ];
        assert_eq!(
            check_unlock_reference(1, &cases),
            Err(UnlockRefError::AlreadyLifted(2))
        );
        assert_eq!(
            check_unlock_reference(3, &cases),
            Err(UnlockRefError::NotExecuted)
        );
        assert_eq!(
            check_unlock_reference(2, &cases),
            Err(UnlockRefError::NotALock)
        );
        assert_eq!(
            check_unlock_reference(9, &cases),
            Err(UnlockRefError::Unknown)
        );
        // An unlock that is not executed yet lifts nothing.
        assert_eq!(check_unlock_reference(4, &cases), Ok(()));
        assert_eq!(check_unlock_reference(6, &cases), Ok(()));
        assert_eq!(locks_in_force(&cases), vec![6, 4]);
        assert_eq!(lifted_by(1, &cases), Some(2));
        let d = duplicates(None, &cases);
        assert_eq!(d.in_force, vec![6, 4]);
        assert_eq!(d.awaiting_form, vec![6]);
        assert_eq!(d.open, vec![3]);
        assert!(accept_new_lock(&d, "  ").is_err());
        assert!(accept_new_lock(&d, "Ny bedömning efter hot").is_ok());
        assert!(accept_new_lock(&duplicates(None, &cases[..2]), "").is_ok());
        let n = now(&cases);
        assert!(n.is_locked());
        assert_eq!(n.lifted, vec![(1, 2)]);
        assert_eq!(n.under_way, vec![5, 3]);
    }

    #[test]
    fn executing_needs_a_confirmation_and_the_helpdesk_reference() {
        assert!(execution_errors(true, "RÄLS-1", true).is_empty());
        assert!(execution_errors(true, "", false).is_empty());
        let e = execution_errors(false, " ", true);
        assert_eq!(e, ["helpdesk_ref", "confirmed"]);
        let lock = case(1, Kind::Lock, Status::Executed, None);
        assert!(plexus_due(&lock, true, ""));
        assert!(!plexus_due(&lock, false, ""));
        assert!(!plexus_due(&lock, true, "PX-1"));
        assert!(!plexus_due(
            &case(2, Kind::Unlock, Status::Executed, Some(1)),
            true,
            ""
        ));
        assert!(!plexus_due(
            &case(3, Kind::Lock, Status::Verified, None),
            true,
            ""
        ));
    }

    fn arb_cases() -> impl Strategy<Value = Vec<CaseFact>> {
        proptest::collection::vec(
            (
                any::<bool>(),
                0usize..Status::ALL.len(),
                any::<bool>(),
                proptest::option::of(1i64..12),
            ),
            0..12,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (lock, s, executed, undoes))| CaseFact {
                    id: i as i64 + 1,
                    kind: if lock { Kind::Lock } else { Kind::Unlock },
                    status: Status::ALL[s],
                    executed,
                    undoes: if lock { None } else { undoes },
                })
                .collect()
        })
    }

    proptest! {
        /// An unlock may reference exactly the locks in force; those are executed locks, and a
        /// lock an executed unlock undoes is never among them.
        #[test]
        fn references_are_the_locks_in_force(cases in arb_cases()) {
            let in_force = locks_in_force(&cases);
            for c in &cases {
                let ok = check_unlock_reference(c.id, &cases).is_ok();
                prop_assert_eq!(ok, in_force.contains(&c.id));
                if ok {
                    prop_assert!(c.kind == Kind::Lock && is_executed(c));
                    prop_assert!(!cases.iter().any(|u| u.kind == Kind::Unlock
                        && is_executed(u) && u.undoes == Some(c.id)));
                }
                if let Some(by) = lifted_by(c.id, &cases) {
                    prop_assert!(!in_force.contains(&c.id));
                    prop_assert_eq!(check_unlock_reference(c.id, &cases),
                        if c.kind == Kind::Lock && is_executed(c) {
                            Err(UnlockRefError::AlreadyLifted(by))
                        } else if c.kind != Kind::Lock {
                            Err(UnlockRefError::NotALock)
                        } else {
                            Err(UnlockRefError::NotExecuted)
                        });
                }
            }
        }

        /// A new lock needs a reason exactly when the citizen is locked or has an open lock case;
        /// the case itself never counts.
        #[test]
        fn duplicates_need_a_reason(cases in arb_cases(), me in 1i64..12) {
            let d = duplicates(Some(me), &cases);
            prop_assert!(!d.in_force.contains(&me) && !d.open.contains(&me));
            let others: Vec<CaseFact> = cases.iter().copied().filter(|c| c.id != me).collect();
            let locked = locks_in_force(&cases).iter().any(|id| *id != me);
            let open = others.iter().any(|c| c.kind == Kind::Lock && c.status.is_open());
            prop_assert_eq!(accept_new_lock(&d, "").is_ok(), !(locked || open));
            prop_assert!(accept_new_lock(&d, "skäl").is_ok());
            prop_assert!(d.awaiting_form.iter().all(|id| d.in_force.contains(id)));
            prop_assert_eq!(now(&cases).is_locked(), !locks_in_force(&cases).is_empty());
        }
    }
}
