//! The three-month review (instruction 002 §4.2, §9): due the same day three calendar months
//! after execution, in Swedish time, clamped to the month's last day; and the reminder schedule.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Europe::Stockholm;

/// `date` plus `months` calendar months, clamped to the last day of the target month.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    let total = date.year() * 12 + date.month0() as i32 + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut day = date.day();
    loop {
        if let Some(d) = NaiveDate::from_ymd_opt(year, month0 + 1, day) {
            return d;
        }
        day -= 1;
    }
}

/// The Swedish calendar date of an instant.
pub fn swedish_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Stockholm).date_naive()
}

/// When a lock executed at `executed` is due for review.
pub fn review_due(executed: DateTime<Utc>) -> NaiveDate {
    add_months_clamped(swedish_date(executed), 3)
}

/// Where a review stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Later,
    DueSoon,
    Due,
    Overdue,
}

pub fn review_state(due: NaiveDate, today: NaiveDate, soon_days: i64) -> ReviewState {
    if today > due {
        ReviewState::Overdue
    } else if today == due {
        ReviewState::Due
    } else if (due - today).num_days() <= soon_days {
        ReviewState::DueSoon
    } else {
        ReviewState::Later
    }
}

/// The reminder that should exist by `today` for a review due on `due`, as a stable key (one
/// reminder per key, ever): `before` from `before_days` ahead, `due` on the day, then
/// `overdue-<week>` once a week while overdue. Only the newest is returned, so a long downtime
/// gives one reminder, not a burst.
pub fn review_reminder_key(due: NaiveDate, today: NaiveDate, before_days: i64) -> Option<String> {
    let days = (today - due).num_days();
    if days < -before_days {
        None
    } else if days < 0 {
        Some("before".into())
    } else if days < 7 {
        Some("due".into())
    } else {
        Some(format!("overdue-{}", days / 7))
    }
}

/// Office hours in Swedish time: weekdays, from `start`:00 up to (not including) `end`:00, so
/// that with `end = 16` nothing goes out at 16:00–16:59.
pub fn in_office_hours(at: DateTime<Utc>, start: u32, end: u32) -> bool {
    let local = at.with_timezone(&Stockholm);
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let hour = local.hour();
    weekday && hour >= start && hour < end
}

/// The next review after a "keep locked" decision on `decided`.
pub fn next_review(decided: NaiveDate) -> NaiveDate {
    add_months_clamped(decided, 3)
}

/// Missing-form reminders after an emergency lock: every `every_days`, keyed by interval.
pub fn form_reminder_key(
    executed: DateTime<Utc>,
    now: DateTime<Utc>,
    every_days: i64,
) -> Option<String> {
    let days = (now - executed).num_days();
    let every = every_days.max(1);
    (days >= every).then(|| format!("form-{}", days / every))
}

/// Convenience for tests and callers.
pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn calendar_rule() {
        assert_eq!(add_months_clamped(d(2026, 1, 31), 3), d(2026, 4, 30));
        assert_eq!(add_months_clamped(d(2026, 11, 30), 3), d(2027, 2, 28));
        assert_eq!(
            add_months_clamped(d(2027, 11, 30), 3),
            d(2028, 2, 29),
            "leap year"
        );
        assert_eq!(add_months_clamped(d(2026, 11, 15), 3), d(2027, 2, 15));
        assert_eq!(add_months_clamped(d(2026, 10, 31), 3), d(2027, 1, 31));
        assert_eq!(add_months_clamped(d(2024, 2, 29), 3), d(2024, 5, 29));
        assert_eq!(add_months_clamped(d(1999, 12, 31), 2), d(2000, 2, 29));
    }

    #[test]
    fn swedish_time_decides_the_date() {
        // 23:30 UTC on 30 Nov is already 1 Dec in Stockholm: due 1 Mar, not 28 Feb.
        let late = Utc
            .with_ymd_and_hms(2026, 11, 30, 23, 30, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(review_due(late), d(2027, 3, 1));
        let noon = Utc
            .with_ymd_and_hms(2026, 11, 30, 11, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(review_due(noon), d(2027, 2, 28));
        // The spring-forward night (29 Mar 2026, 02:00 → 03:00) and the autumn night (25 Oct).
        let spring = Utc
            .with_ymd_and_hms(2026, 3, 29, 0, 30, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(swedish_date(spring), d(2026, 3, 29));
        assert_eq!(review_due(spring), d(2026, 6, 29));
        let before_spring = Utc
            .with_ymd_and_hms(2026, 3, 28, 22, 59, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(swedish_date(before_spring), d(2026, 3, 28));
        let autumn = Utc
            .with_ymd_and_hms(2026, 10, 24, 22, 30, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(swedish_date(autumn), d(2026, 10, 25), "00:30 CEST");
        let autumn2 = Utc
            .with_ymd_and_hms(2026, 10, 25, 22, 30, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(swedish_date(autumn2), d(2026, 10, 25), "23:30 CET");
        assert_eq!(review_due(autumn), d(2027, 1, 25));
    }

    #[test]
    fn reminder_keys() {
        let due = d(2027, 2, 28);
        assert_eq!(review_reminder_key(due, d(2027, 2, 13), 14), None);
        assert_eq!(
            review_reminder_key(due, d(2027, 2, 14), 14).as_deref(),
            Some("before")
        );
        assert_eq!(
            review_reminder_key(due, d(2027, 2, 27), 14).as_deref(),
            Some("before")
        );
        assert_eq!(
            review_reminder_key(due, d(2027, 2, 28), 14).as_deref(),
            Some("due")
        );
        assert_eq!(
            review_reminder_key(due, d(2027, 3, 6), 14).as_deref(),
            Some("due")
        );
        assert_eq!(
            review_reminder_key(due, d(2027, 3, 7), 14).as_deref(),
            Some("overdue-1")
        );
        assert_eq!(
            review_reminder_key(due, d(2027, 3, 14), 14).as_deref(),
            Some("overdue-2")
        );
        assert_eq!(review_state(due, d(2027, 2, 20), 14), ReviewState::DueSoon);
        assert_eq!(review_state(due, d(2027, 1, 1), 14), ReviewState::Later);
        assert_eq!(review_state(due, due, 14), ReviewState::Due);
        assert_eq!(review_state(due, d(2027, 3, 1), 14), ReviewState::Overdue);
    }

    #[test]
    fn office_hours_in_swedish_time() {
        // Monday 23 Nov 2026, 07:30 UTC = 08:30 CET.
        let mon = Utc
            .with_ymd_and_hms(2026, 11, 23, 7, 30, 0)
            .single()
            .unwrap_or_default();
        assert!(in_office_hours(mon, 8, 16));
        let early = Utc
            .with_ymd_and_hms(2026, 11, 23, 6, 30, 0)
            .single()
            .unwrap_or_default();
        assert!(!in_office_hours(early, 8, 16));
        let sat = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .unwrap_or_default();
        assert!(!in_office_hours(sat, 8, 16));
    }

    #[test]
    fn office_hours_end_at_the_end_hour() {
        // Monday 23 Nov 2026 (CET = UTC+1).
        let at = |h: u32, m: u32| {
            Utc.with_ymd_and_hms(2026, 11, 23, h - 1, m, 0)
                .single()
                .unwrap_or_default()
        };
        assert!(in_office_hours(at(8, 0), 8, 16), "the start hour is in");
        assert!(!in_office_hours(at(7, 59), 8, 16));
        assert!(in_office_hours(at(15, 59), 8, 16), "15:59 is in");
        assert!(!in_office_hours(at(16, 0), 8, 16), "16:00 is out");
        assert!(!in_office_hours(at(16, 59), 8, 16), "16:59 is out");
        // Summer time (CEST = UTC+2): Monday 1 June 2026, 14:00 UTC = 16:00 local.
        let june = Utc
            .with_ymd_and_hms(2026, 6, 1, 14, 0, 0)
            .single()
            .unwrap_or_default();
        assert!(!in_office_hours(june, 8, 16));
        assert!(in_office_hours(june - chrono::Duration::minutes(1), 8, 16));
    }

    proptest! {
        #[test]
        fn due_is_three_months_on_and_never_overflows(y in 1990i32..2100, m in 1u32..=12, day in 1u32..=31) {
            if let Some(start) = NaiveDate::from_ymd_opt(y, m, day) {
                let due = add_months_clamped(start, 3);
                let months = (due.year() * 12 + due.month0() as i32) - (start.year() * 12 + start.month0() as i32);
                prop_assert_eq!(months, 3);
                prop_assert!(due.day() <= start.day());
                if due.day() < start.day() {
                    // Clamped: the last day of its month.
                    prop_assert!(due.succ_opt().is_some_and(|n| n.day() == 1));
                }
            }
        }
    }
}
