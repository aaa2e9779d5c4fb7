//! "Entries to look at" (att granska): what log follow-up looks for in who read which citizen.
//! Pure: the service loads the period's entries and the facts about their users and citizens,
//! this finds what stands out.
//!
//! 1. **Protected identity**: a member of staff read a citizen with protected personal data.
//! 2. **No case in the user's units**: a member of staff who is not a handler read a citizen none
//!    of whose cases belongs to any of the user's units.
//! 3. **Outside office hours**: reads on a weekend or outside the office hours (Swedish time).
//! 4. **Many citizens in a short time**: one user read at least `burst_citizens` different citizens
//!    within `burst_minutes`.

use super::review::in_office_hours;
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Europe::Stockholm;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// One entry of the log that named citizens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub id: i64,
    /// UTC.
    pub at: NaiveDateTime,
    /// HSA-ID.
    pub user: String,
    pub citizens: Vec<String>,
}

/// What the rules know about users and citizens.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Members of staff by HSA-ID (others — jobs, the API, the operator — are not reviewed):
    /// handler or not, and their units.
    pub staff: HashMap<String, (bool, BTreeSet<i64>)>,
    /// Citizens with protected personal data.
    pub protected: BTreeSet<String>,
    /// The units of each citizen's cases.
    pub citizen_units: HashMap<String, BTreeSet<i64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub office_start: u32,
    pub office_end: u32,
    pub burst_citizens: usize,
    pub burst_minutes: i64,
}

/// Something to look at, with what is needed to search the entries behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// `user` read the protected `citizen` `count` times between `first` and `last` (UTC).
    Protected {
        user: String,
        citizen: String,
        count: usize,
        first: NaiveDateTime,
        last: NaiveDateTime,
    },
    /// `user` read `citizen`, who has no case in the user's units.
    NoCaseInUnit {
        user: String,
        citizen: String,
        count: usize,
        first: NaiveDateTime,
        last: NaiveDateTime,
    },
    /// `user` read citizens `count` times outside office hours on `day` (Swedish date).
    OffHours {
        user: String,
        day: NaiveDate,
        count: usize,
        first: NaiveDateTime,
        last: NaiveDateTime,
    },
    /// `user` read `citizens` different citizens between `first` and `last`.
    Burst {
        user: String,
        citizens: usize,
        first: NaiveDateTime,
        last: NaiveDateTime,
    },
}

type Key = (String, String);

fn tally(
    map: &mut BTreeMap<Key, (usize, NaiveDateTime, NaiveDateTime)>,
    k: Key,
    at: NaiveDateTime,
) {
    let e = map.entry(k).or_insert((0, at, at));
    e.0 += 1;
    e.1 = e.1.min(at);
    e.2 = e.2.max(at);
}

/// Everything that stands out in `entries`, grouped: per (user, citizen), per (user, day) and per
/// burst. Entries by anyone who is not a member of staff are left out.
pub fn review(entries: &[Seen], facts: &Facts, t: &Thresholds) -> Vec<Finding> {
    let mut protected = BTreeMap::new();
    let mut outside = BTreeMap::new();
    let mut off_hours: BTreeMap<(String, NaiveDate), (usize, NaiveDateTime, NaiveDateTime)> =
        BTreeMap::new();
    let mut by_user: BTreeMap<&str, Vec<&Seen>> = BTreeMap::new();
    for e in entries {
        let Some((handler, units)) = facts.staff.get(&e.user) else {
            continue;
        };
        by_user.entry(e.user.as_str()).or_default().push(e);
        for c in &e.citizens {
            if facts.protected.contains(c) {
                tally(&mut protected, (e.user.clone(), c.clone()), e.at);
            }
            let theirs = facts
                .citizen_units
                .get(c)
                .is_some_and(|cu| !cu.is_disjoint(units));
            if !handler && !theirs {
                tally(&mut outside, (e.user.clone(), c.clone()), e.at);
            }
        }
        if !in_office_hours(e.at.and_utc(), t.office_start, t.office_end) {
            let day = e.at.and_utc().with_timezone(&Stockholm).date_naive();
            let v = off_hours
                .entry((e.user.clone(), day))
                .or_insert((0, e.at, e.at));
            v.0 += 1;
            v.1 = v.1.min(e.at);
            v.2 = v.2.max(e.at);
        }
    }
    let mut out: Vec<Finding> = vec![];
    out.extend(
        protected.into_iter().map(
            |((user, citizen), (count, first, last))| Finding::Protected {
                user,
                citizen,
                count,
                first,
                last,
            },
        ),
    );
    out.extend(
        outside.into_iter().map(
            |((user, citizen), (count, first, last))| Finding::NoCaseInUnit {
                user,
                citizen,
                count,
                first,
                last,
            },
        ),
    );
    out.extend(
        off_hours
            .into_iter()
            .map(|((user, day), (count, first, last))| Finding::OffHours {
                user,
                day,
                count,
                first,
                last,
            }),
    );
    for (user, mut seen) in by_user {
        seen.sort_by_key(|e| (e.at, e.id));
        out.extend(bursts(user, &seen, t));
    }
    out
}

/// Sliding windows of `burst_minutes` over one user's entries (in time order): each time the
/// window holds `burst_citizens` different citizens, one finding, and the window starts afresh
/// after it (so one long spree is a few findings, not one per entry).
fn bursts(user: &str, seen: &[&Seen], t: &Thresholds) -> Vec<Finding> {
    let span = chrono::Duration::minutes(t.burst_minutes.max(1));
    let need = t.burst_citizens.max(2);
    let mut out = vec![];
    let mut window: VecDeque<&Seen> = VecDeque::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in seen {
        window.push_back(e);
        for c in &e.citizens {
            *counts.entry(c.as_str()).or_default() += 1;
        }
        while let Some(front) = window.front() {
            if e.at - front.at <= span {
                break;
            }
            for c in &front.citizens {
                if let Some(n) = counts.get_mut(c.as_str()) {
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(c.as_str());
                    }
                }
            }
            window.pop_front();
        }
        if counts.len() >= need {
            out.push(Finding::Burst {
                user: user.to_string(),
                citizens: counts.len(),
                first: window.front().map_or(e.at, |f| f.at),
                last: e.at,
            });
            window.clear();
            counts.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    /// Monday 2026-11-23 at `h:m` Swedish winter time (UTC+1).
    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(h - 1, m, 0))
            .unwrap_or_default()
    }

    fn seen(id: i64, at: NaiveDateTime, user: &str, citizens: &[&str]) -> Seen {
        Seen {
            id,
            at,
            user: user.into(),
            citizens: citizens.iter().map(|c| c.to_string()).collect(),
        }
    }

    const T: Thresholds = Thresholds {
        office_start: 8,
        office_end: 16,
        burst_citizens: 3,
        burst_minutes: 10,
    };

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.staff.insert("nurse".into(), (false, [1].into()));
        f.staff.insert("handler".into(), (true, BTreeSet::new()));
        f.protected.insert("P".into());
        for c in ["P", "A"] {
            f.citizen_units.insert(c.into(), [1].into());
        }
        f.citizen_units.insert("B".into(), [2].into());
        f
    }

    #[test]
    fn each_rule_finds_its_entry_and_not_a_harmless_one() {
        let entries = vec![
            seen(1, at(9, 0), "nurse", &["A"]),       // harmless
            seen(2, at(9, 30), "nurse", &["P"]),      // protected
            seen(3, at(10, 0), "nurse", &["B"]),      // no case in the nurse's unit
            seen(4, at(10, 0), "handler", &["B"]),    // a handler may
            seen(5, at(20, 0), "nurse", &["A"]),      // off hours
            seen(6, at(11, 0), "job:outbox", &["B"]), // not staff
        ];
        let f = review(&entries, &facts(), &T);
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(
            matches!(&f[0], Finding::Protected { user, citizen, count: 1, .. } if user == "nurse" && citizen == "P")
        );
        assert!(
            matches!(&f[1], Finding::NoCaseInUnit { user, citizen, .. } if user == "nurse" && citizen == "B")
        );
        assert!(matches!(&f[2], Finding::OffHours { user, count: 1, .. } if user == "nurse"));
    }

    #[test]
    fn a_burst_is_many_citizens_in_the_window() {
        let mut f = facts();
        f.staff.insert("h2".into(), (true, BTreeSet::new()));
        let spread = vec![
            seen(1, at(9, 0), "h2", &["A"]),
            seen(2, at(9, 11), "h2", &["B"]),
            seen(3, at(9, 22), "h2", &["P"]),
        ];
        let found = review(&spread, &f, &T);
        assert!(
            !found.iter().any(|x| matches!(x, Finding::Burst { .. })),
            "{found:?}"
        );
        let quick = vec![
            seen(1, at(9, 0), "h2", &["A"]),
            seen(2, at(9, 5), "h2", &["A", "B"]),
            seen(3, at(9, 10), "h2", &["P"]),
        ];
        let found = review(&quick, &f, &T);
        assert!(
            found
                .iter()
                .any(|x| matches!(x, Finding::Burst { citizens: 3, .. })),
            "{found:?}"
        );
    }

    proptest! {
        /// A handler reading in office hours any number of non-protected citizens, slower than the
        /// burst threshold, is never a finding; and no finding names a non-staff user.
        #[test]
        fn handlers_in_office_hours_are_quiet(minutes in proptest::collection::vec(0u32..400, 0..30)) {
            let mut f = facts();
            f.protected.clear();
            let mut entries = vec![];
            for (i, m) in minutes.iter().enumerate() {
                let t = at(9, 0) + chrono::Duration::minutes(*m as i64);
                entries.push(seen(i as i64, t, "handler", &["A"]));
                entries.push(seen(1000 + i as i64, t, "api-client:1", &["P", "B", "C"]));
            }
            prop_assert!(review(&entries, &f, &T).is_empty());
        }
    }
}
