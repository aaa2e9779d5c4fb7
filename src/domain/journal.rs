//! The journal note of assessment, motive and decision (instruction 002 §3.3): it is written on
//! or before the decision, and a note much older than the decision (more than the region's
//! setting, 30 days by default) needs the clinician's reason — an old note may not describe the
//! situation decided on.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoteDateProblem {
    #[error("the journal note is dated after the decision")]
    AfterDecision,
    #[error("the journal note is more than {0} days older than the decision")]
    TooOld(u32),
}

/// Checks the note's date against the decision's: not after it, and not more than `max_age_days`
/// before it unless a reason is given.
pub fn check_note_date(
    note: NaiveDate,
    decision: NaiveDate,
    max_age_days: u32,
    has_reason: bool,
) -> Result<(), NoteDateProblem> {
    if note > decision {
        return Err(NoteDateProblem::AfterDecision);
    }
    if (decision - note).num_days() > i64::from(max_age_days) && !has_reason {
        return Err(NoteDateProblem::TooOld(max_age_days));
    }
    Ok(())
}

/// The answer to "Ska patientens journal på 1177 också förseglas?": yes, no, or not answered.
pub fn sealing_answer(form_value: &str) -> Option<bool> {
    match form_value.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_issues_example_is_refused() {
        // A note of 2 January for a decision of 23 November.
        assert_eq!(
            check_note_date(d("2026-01-02"), d("2026-11-23"), 30, false),
            Err(NoteDateProblem::TooOld(30))
        );
        assert_eq!(
            check_note_date(d("2026-01-02"), d("2026-11-23"), 30, true),
            Ok(())
        );
        assert_eq!(
            check_note_date(d("2026-11-24"), d("2026-11-23"), 30, true),
            Err(NoteDateProblem::AfterDecision)
        );
        assert_eq!(
            check_note_date(d("2026-10-24"), d("2026-11-23"), 30, false),
            Ok(())
        );
        assert_eq!(sealing_answer("yes"), Some(true));
        assert_eq!(sealing_answer("no"), Some(false));
        assert_eq!(sealing_answer(""), None);
    }

    proptest! {
        #[test]
        fn within_the_window_passes(age in 0u32..=400, max in 0u32..=120, reason in any::<bool>()) {
            let decision = d("2026-11-23");
            let note = decision - chrono::Days::new(u64::from(age));
            let r = check_note_date(note, decision, max, reason);
            prop_assert_eq!(r.is_ok(), age <= max || reason);
            let later = decision + chrono::Days::new(u64::from(age) + 1);
            prop_assert_eq!(check_note_date(later, decision, max, true), Err(NoteDateProblem::AfterDecision));
        }
    }
}
