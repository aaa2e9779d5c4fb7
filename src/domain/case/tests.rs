//! The lifecycle's unit and property tests.

use super::*;
use proptest::prelude::*;

fn facts(actor: ActorKind) -> Facts {
    Facts {
        actor,
        actor_is_decider: true,
        signed: true,
        complete: true,
        checklist_done: true,
        lifted: false,
    }
}

#[test]
fn the_happy_path() {
    let u = facts(ActorKind::UnitStaff);
    let h = facts(ActorKind::Handler);
    let mut s = transition(None, Action::Create, u).ok();
    for (a, f) in [
        (Action::Sign, u),
        (Action::Submit, u),
        (Action::Receive, h),
        (Action::Return, h),
        (Action::Resubmit, u),
        (Action::Receive, h),
        (Action::Verify, h),
        (Action::Execute, h),
        (Action::Feedback, h),
    ] {
        s = Some(transition(s, a, f).unwrap_or_else(|e| panic!("{a:?} from {s:?}: {e}")));
    }
    assert_eq!(s, Some(Status::Closed));
}

#[test]
fn rules_that_must_hold() {
    let u = facts(ActorKind::UnitStaff);
    let h = facts(ActorKind::Handler);
    // A non-decider cannot sign.
    let nd = Facts {
        actor_is_decider: false,
        ..u
    };
    assert_eq!(
        transition(Some(Status::Draft), Action::Sign, nd),
        Err(TransitionError::NotDecider)
    );
    // Unsigned or incomplete cannot be submitted.
    let unsigned = Facts { signed: false, ..u };
    assert_eq!(
        transition(Some(Status::Draft), Action::Submit, unsigned),
        Err(TransitionError::Unsigned)
    );
    let incomplete = Facts {
        complete: false,
        ..u
    };
    assert_eq!(
        transition(Some(Status::Draft), Action::Submit, incomplete),
        Err(TransitionError::Incomplete)
    );
    // Only handlers receive, verify, execute.
    for a in [
        Action::Receive,
        Action::Verify,
        Action::Execute,
        Action::Return,
    ] {
        let from = match a {
            Action::Receive | Action::Return => Status::Submitted,
            Action::Verify => Status::Received,
            _ => Status::Verified,
        };
        assert!(
            matches!(
                transition(Some(from), a, u),
                Err(TransitionError::NotYours { .. })
            ),
            "{a:?}"
        );
        assert!(transition(Some(from), a, h).is_ok(), "{a:?}");
    }
    // Verification needs the checklist.
    let open = Facts {
        checklist_done: false,
        ..h
    };
    assert_eq!(
        transition(Some(Status::Received), Action::Verify, open),
        Err(TransitionError::ChecklistOpen)
    );
    // Nothing leaves withdrawn or closed.
    for a in Action::ALL {
        assert!(transition(Some(Status::Withdrawn), a, h).is_err());
        assert!(transition(Some(Status::Closed), a, h).is_err());
    }
    // Executed is not open: an executed lock is undone with an unlock case.
    assert!(transition(Some(Status::Executed), Action::Withdraw, h).is_err());
    // The unit cannot withdraw once the handler has received the case.
    assert!(transition(Some(Status::Received), Action::Withdraw, u).is_err());
    // Others can do nothing.
    let o = facts(ActorKind::Other);
    for s in Status::ALL.into_iter().map(Some).chain([None]) {
        for a in Action::ALL {
            assert!(transition(s, a, o).is_err(), "{s:?} {a:?}");
        }
    }
}

#[test]
fn a_review_is_a_deciders_and_never_of_a_lifted_lock() {
    let u = facts(ActorKind::UnitStaff);
    for st in [Status::Executed, Status::Closed, Status::FormPending] {
        assert_eq!(transition(Some(st), Action::Review, u), Ok(st));
        let lifted = Facts { lifted: true, ..u };
        assert_eq!(
            transition(Some(st), Action::Review, lifted),
            Err(TransitionError::Lifted)
        );
        assert!(!available_actions(st, Kind::Lock, lifted).contains(&Action::Review));
        let nurse = Facts {
            actor_is_decider: false,
            ..u
        };
        assert_eq!(
            transition(Some(st), Action::Review, nurse),
            Err(TransitionError::ReviewNotDecider)
        );
        assert!(!available_actions(st, Kind::Lock, nurse).contains(&Action::Review));
    }
}

fn arb_facts() -> impl Strategy<Value = Facts> {
    (
        prop_oneof![
            Just(ActorKind::UnitStaff),
            Just(ActorKind::Handler),
            Just(ActorKind::Other),
            Just(ActorKind::System)
        ],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(actor, d, s, c, k, l)| Facts {
            actor,
            actor_is_decider: d,
            signed: s,
            complete: c,
            checklist_done: k,
            lifted: l,
        })
}

fn arb_action() -> impl Strategy<Value = Action> {
    (0..Action::ALL.len()).prop_map(|i| Action::ALL[i])
}

#[test]
fn pages_offer_what_the_rule_allows() {
    use Action::*;
    let staff = Facts {
        actor: ActorKind::UnitStaff,
        actor_is_decider: true,
        signed: false,
        complete: true,
        checklist_done: false,
        lifted: false,
    };
    assert_eq!(
        available_actions(Status::Draft, Kind::Lock, staff),
        vec![Edit, Sign, Withdraw]
    );
    let signed = Facts {
        signed: true,
        ..staff
    };
    assert_eq!(
        available_actions(Status::Draft, Kind::Lock, signed),
        vec![Edit, Submit, Withdraw]
    );
    let nurse = Facts {
        actor_is_decider: false,
        ..staff
    };
    assert_eq!(
        available_actions(Status::Draft, Kind::Lock, nurse),
        vec![Edit, Withdraw]
    );
    let handler = Facts {
        actor: ActorKind::Handler,
        ..staff
    };
    assert_eq!(
        available_actions(Status::Submitted, Kind::Lock, handler),
        vec![Receive, Return, Withdraw]
    );
    // Verification is offered while the checklist is open: the page explains what is left.
    assert_eq!(
        available_actions(Status::Received, Kind::Lock, handler),
        vec![Return, Verify, Withdraw]
    );
    assert_eq!(
        available_actions(Status::Executed, Kind::Lock, staff),
        vec![Review]
    );
    assert!(available_actions(Status::Executed, Kind::Unlock, staff).is_empty());
    assert!(available_actions(Status::Executed, Kind::Lock, handler).is_empty());
    let other = Facts {
        actor: ActorKind::Other,
        ..staff
    };
    for st in Status::ALL {
        assert!(
            available_actions(st, Kind::Lock, other).is_empty(),
            "{st:?}"
        );
    }
}

proptest! {
    /// An offered step is one the rule lets the actor take (or refuses only for the open
    /// checklist); a step not offered is refused, or is one pages never offer.
    #[test]
    fn offered_steps_are_the_rules_steps(f in arb_facts(), si in 0usize..9, lock in any::<bool>()) {
        let st = Status::ALL[si];
        let kind = if lock { Kind::Lock } else { Kind::Unlock };
        let offered = available_actions(st, kind, f);
        for a in Action::ALL {
            let r = transition(Some(st), a, f);
            if offered.contains(&a) {
                prop_assert!(matches!(r, Ok(_) | Err(TransitionError::ChecklistOpen)), "{:?} {:?}", a, r);
            } else if r.is_ok() {
                prop_assert!(
                    matches!(a, Action::Feedback | Action::Create | Action::RegisterCall)
                        || (a == Action::Sign && f.signed)
                        || (a == Action::Edit && f.actor != ActorKind::UnitStaff)
                        || (a == Action::Review && kind == Kind::Unlock),
                    "{:?} allowed but not offered", a
                );
            }
        }
    }

    /// No sequence of actions reaches a state by an edge the lifecycle does not have, and
    /// every refusal is an error value (never a panic).
    #[test]
    fn only_allowed_edges(steps in proptest::collection::vec((arb_action(), arb_facts()), 0..40)) {
        let edges = allowed_edges();
        let mut state: Option<Status> = None;
        for (a, f) in steps {
            match transition(state, a, f) {
                Ok(next) => {
                    prop_assert!(edges.contains(&(state, next)), "{:?} -{:?}-> {:?}", state, a, next);
                    // Guards hold on every successful step.
                    if matches!(a, Action::Submit | Action::Resubmit) {
                        prop_assert!(f.signed && f.complete);
                    }
                    if a == Action::Sign {
                        prop_assert!(f.actor_is_decider);
                    }
                    // Only a decider reviews, and never a lock an unlock has lifted.
                    if a == Action::Review {
                        prop_assert!(f.actor_is_decider && !f.lifted);
                    }
                    if matches!(next, Status::Received | Status::Verified | Status::Executed | Status::FormPending) && state != Some(next) {
                        prop_assert_eq!(f.actor, ActorKind::Handler);
                    }
                    if next == Status::Closed && state != Some(next) {
                        prop_assert!(matches!(f.actor, ActorKind::Handler | ActorKind::System));
                    }
                    // The system can only record delivered feedback.
                    if f.actor == ActorKind::System {
                        prop_assert_eq!(a, Action::Feedback);
                    }
                    prop_assert!(f.actor != ActorKind::Other);
                    state = Some(next);
                }
                Err(e) => {
                    // Worded for the user by `messages::transition` (tested there).
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    /// Executed is reached only through verification or an emergency call.
    #[test]
    fn execution_needs_verification(steps in proptest::collection::vec((arb_action(), arb_facts()), 0..40)) {
        let mut state: Option<Status> = None;
        let mut history = vec![];
        for (a, f) in steps {
            if let Ok(next) = transition(state, a, f) {
                history.push(next);
                state = Some(next);
            }
        }
        if let Some(i) = history.iter().position(|s| *s == Status::Executed) {
            prop_assert!(history[..i].contains(&Status::Verified) || history[..i].contains(&Status::FormPending));
        }
    }
}
