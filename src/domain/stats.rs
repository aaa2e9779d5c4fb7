//! The statistics page's rules (issue 11): months in Swedish time, the period a page may cover,
//! whose cases a view counts, and what a view narrower than the whole region may show so that no
//! citizen can be singled out. Pure: `db::stats` counts, `service::stats` applies these.
//!
//! Suppression, in a view of one unit or a few (never in the whole region's):
//! 1. a count of 1–4 is shown as "< 5" ([`Cell::Under5`]);
//! 2. a total whose parts are shown beside it (the cases a lead time is measured over are the
//!    non-emergency cells of the channel table) is exact only when none of its parts is "< 5";
//!    otherwise it is "≥ 5" (or "< 5"), so that it cannot be subtracted back to a hidden part;
//! 3. a median or 90th percentile over fewer than 5 cases is not shown;
//! 4. a share is shown only when its whole is exact and at least 5, and both its part and the
//!    rest are 0 or at least 5.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::Stockholm;
use std::fmt;

/// Below this many cases a figure of a narrow view is not shown exactly.
pub const THRESHOLD: i64 = 5;

/// The longest period a page covers: ten years of months.
pub const MAX_MONTHS: usize = 120;

/// A calendar month (in Swedish time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1–12.
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((2000..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// `ÅÅÅÅ-MM` (years 2000–2100).
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Months from `self` to `other` (0 when equal; negative when `other` is earlier).
    pub fn months_until(self, other: Month) -> i64 {
        (other.year as i64 * 12 + other.month as i64) - (self.year as i64 * 12 + self.month as i64)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    /// The month's first instant, midnight on the 1st in Sweden, as stored (UTC). Midnight always
    /// exists in Swedish time (the clocks change at 02:00 and 03:00).
    pub fn start_utc(self) -> NaiveDateTime {
        let local = self.first_day().and_time(chrono::NaiveTime::MIN);
        Stockholm
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(local)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The months a page covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Month,
    pub to: Month,
}

/// What is wrong with a period as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    /// Not a month written `ÅÅÅÅ-MM`.
    NotAMonth,
    /// The first month is after the last.
    Reversed,
    /// Longer than [`MAX_MONTHS`].
    TooLong,
    /// The last month has not begun.
    Future,
}

impl Period {
    /// The default: the twelve months up to and including this one.
    pub fn last_year(today: NaiveDate) -> Period {
        let to = Month::of(today);
        let mut from = to;
        for _ in 0..11 {
            from = from.prev();
        }
        Period { from, to }
    }

    /// The period asked for (`from`, `to` as typed; an empty one takes the default's end).
    /// Errors name the field they belong to (`fran`, `till`).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Period, Vec<(&'static str, PeriodError)>> {
        let default = Period::last_year(today);
        let mut errors = vec![];
        let mut read = |field: &'static str, v: Option<&str>, fallback: Month| match v
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(fallback),
            Some(s) => {
                let m = Month::parse(s);
                if m.is_none() {
                    errors.push((field, PeriodError::NotAMonth));
                }
                m
            }
        };
        let to_m = read("till", to, default.to);
        // A period given only by its end covers the twelve months up to it.
        let from_fallback = to_m
            .map(|t| (0..11).fold(t, |m, _| m.prev()))
            .unwrap_or(default.from);
        let from_m = read("fran", from, from_fallback);
        let (Some(from_m), Some(to_m)) = (from_m, to_m) else {
            return Err(errors);
        };
        if to_m > Month::of(today) {
            errors.push(("till", PeriodError::Future));
        } else if from_m > to_m {
            errors.push(("fran", PeriodError::Reversed));
        } else if from_m.months_until(to_m) + 1 > MAX_MONTHS as i64 {
            errors.push(("fran", PeriodError::TooLong));
        }
        if errors.is_empty() {
            Ok(Period {
                from: from_m,
                to: to_m,
            })
        } else {
            Err(errors)
        }
    }

    pub fn months(&self) -> Vec<Month> {
        let mut v = vec![self.from];
        while let Some(&last) = v.last() {
            if last >= self.to || v.len() >= MAX_MONTHS {
                break;
            }
            v.push(last.next());
        }
        v
    }
}

/// Whose cases a view counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unit of the region (handlers).
    Region,
    /// These units (one chosen, or the viewer's own).
    Units(Vec<i64>),
}

impl Scope {
    /// The view a principal gets, once the policy has let them in: a handler sees the region or
    /// the unit they chose; a manager or chefläkare the unit they chose (one of theirs — the
    /// policy refuses any other) or all their own units.
    pub fn of(role: super::Role, own_units: &[i64], chosen: Option<i64>) -> Scope {
        match (role, chosen) {
            (_, Some(u)) => Scope::Units(vec![u]),
            (super::Role::Handler, None) => Scope::Region,
            (_, None) => Scope::Units(own_units.to_vec()),
        }
    }

    /// Small counts are hidden in every view narrower than the whole region.
    pub fn suppresses(&self) -> bool {
        matches!(self, Scope::Units(_))
    }
}

/// The tables of the page, each with its CSV download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Locks and unlocks executed, by channel.
    Executed,
    /// Lead time from submission to execution.
    LeadTime,
    /// From an emergency lock to its written form.
    FormLink,
    /// The share returned for completion.
    Returned,
    /// Locks in force at the end of each month.
    InForce,
    /// Reviews on time, late and overdue.
    Reviews,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::Executed,
        Table::LeadTime,
        Table::FormLink,
        Table::Returned,
        Table::InForce,
        Table::Reviews,
    ];

    /// The table's name in addresses and file names.
    pub fn code(self) -> &'static str {
        match self {
            Table::Executed => "verkstallda",
            Table::LeadTime => "ledtid",
            Table::FormLink => "blankett",
            Table::Returned => "returnerade",
            Table::InForce => "i-kraft",
            Table::Reviews => "omprovningar",
        }
    }

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.code() == s)
    }
}

/// A count as a view may show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Exact(i64),
    /// 1–4, in a narrow view: "< 5".
    Under5,
    /// At least 5, not shown exactly because it would give away a hidden part: "≥ 5".
    AtLeast5,
}

impl Cell {
    /// A count: exact, or "< 5" when the view suppresses and it is 1–4.
    pub fn count(n: i64, suppress: bool) -> Cell {
        if suppress && n > 0 && n < THRESHOLD {
            Cell::Under5
        } else {
            Cell::Exact(n)
        }
    }

    /// A total of `parts` (each also shown): exact unless the view suppresses and a part is
    /// hidden, so that it cannot be subtracted back to that part.
    pub fn total(parts: &[i64], suppress: bool) -> Cell {
        let n: i64 = parts.iter().sum();
        let hides_a_part = parts
            .iter()
            .any(|&p| Cell::count(p, suppress) == Cell::Under5);
        match Cell::count(n, suppress) {
            Cell::Exact(_) if hides_a_part => Cell::AtLeast5,
            c => c,
        }
    }

    pub fn exact(self) -> Option<i64> {
        match self {
            Cell::Exact(n) => Some(n),
            _ => None,
        }
    }
}

/// A figure derived from `n` cases (a median, a percentile): None when there are none, or fewer
/// than 5 in a view that suppresses.
pub fn derived<T>(n: i64, suppress: bool, value: Option<T>) -> Option<T> {
    if n <= 0 || (suppress && n < THRESHOLD) {
        None
    } else {
        value
    }
}

/// `part` of `whole` as a fraction (0–1), when a view may show it (rule 4 above). `whole` is the
/// total as shown: a share of a total that is not exact is not shown.
pub fn share(part: i64, whole: Cell, suppress: bool) -> Option<f64> {
    let whole = whole.exact()?;
    if whole <= 0 || part < 0 || part > whole {
        return None;
    }
    let small = |k: i64| k > 0 && k < THRESHOLD;
    if suppress && (whole < THRESHOLD || small(part) || small(whole - part)) {
        return None;
    }
    Some(part as f64 / whole as f64)
}

/// The ranks (1-based, in ascending order of the values) a month's median and 90th percentile
/// need among `n` values: the two middle ones (one when `n` is odd) and the nearest rank
/// ⌈0.9·n⌉. `db::stats` reads only the rows at these ranks.
pub fn ranks(n: i64) -> [i64; 3] {
    [(n + 1) / 2, (n + 2) / 2, (9 * n + 9) / 10]
}

/// The median (the mean of the two middle values when `n` is even) and the 90th percentile
/// (nearest rank) from the values at [`ranks`] of `n`; None when a rank is missing.
pub fn median_p90(n: i64, at_rank: &[(i64, f64)]) -> Option<(f64, f64)> {
    if n <= 0 {
        return None;
    }
    let [lo, hi, p90] = ranks(n);
    let get = |r: i64| at_rank.iter().find(|(k, _)| *k == r).map(|(_, v)| *v);
    Some(((get(lo)? + get(hi)?) / 2.0, get(p90)?))
}

/// The locks in force at the end of each month: those in force when the period began, plus the
/// locks executed, less the locks lifted (by their first executed unlock), month by month.
pub fn in_force(at_start: i64, executed: &[i64], lifted: &[i64]) -> Vec<i64> {
    let mut now = at_start;
    executed
        .iter()
        .zip(lifted)
        .map(|(e, l)| {
            now += e - l;
            now
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn months_start_at_swedish_midnight() {
        // Winter: UTC+1; summer: UTC+2; the month's first instant is the evening before in UTC.
        let jan = Month::parse("2026-01").unwrap_or(Month { year: 0, month: 0 });
        assert_eq!(jan.start_utc().to_string(), "2025-12-31 23:00:00");
        let jun = Month::parse("2026-06").unwrap_or(jan);
        assert_eq!(jun.start_utc().to_string(), "2026-05-31 22:00:00");
        // April begins in summer time (the clocks went forward on the last Sunday of March).
        let apr = Month::parse("2026-04").unwrap_or(jan);
        assert_eq!(apr.start_utc().to_string(), "2026-03-31 22:00:00");
        let nov = Month::parse("2026-11").unwrap_or(jan);
        assert_eq!(nov.start_utc().to_string(), "2026-10-31 23:00:00");
        assert_eq!(jan.prev().to_string(), "2025-12");
        assert_eq!(jan.prev().next(), jan);
    }

    #[test]
    fn months_parse_strictly() {
        for bad in [
            "",
            "2026",
            "2026-1",
            "2026-13",
            "2026-00",
            "26-01",
            "1999-12",
            "2026-01-01",
            "2O26-01",
            "+026-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Month::parse(" 2026-12 ").map(|m| m.to_string()),
            Some("2026-12".into())
        );
    }

    #[test]
    fn periods_are_bounded() {
        let today = d(2026, 11, 23);
        let p = Period::parse(None, None, today);
        assert_eq!(
            p.map(|p| (p.from.to_string(), p.to.to_string())),
            Ok(("2025-12".into(), "2026-11".into()))
        );
        let only_end = Period::parse(None, Some("2026-06"), today).map(|p| p.from.to_string());
        assert_eq!(only_end, Ok("2025-07".into()));
        let ten_years = Period::parse(Some("2016-12"), Some("2026-11"), today);
        assert_eq!(ten_years.map(|p| p.months().len()), Ok(MAX_MONTHS));
        assert_eq!(
            Period::parse(Some("2016-11"), Some("2026-11"), today),
            Err(vec![("fran", PeriodError::TooLong)])
        );
        assert_eq!(
            Period::parse(Some("2026-05"), Some("2026-04"), today),
            Err(vec![("fran", PeriodError::Reversed)])
        );
        assert_eq!(
            Period::parse(Some("2026-05"), Some("2026-12"), today),
            Err(vec![("till", PeriodError::Future)])
        );
        assert_eq!(
            Period::parse(Some("maj"), Some("x"), today),
            Err(vec![
                ("till", PeriodError::NotAMonth),
                ("fran", PeriodError::NotAMonth)
            ])
        );
    }

    #[test]
    fn scopes() {
        use super::super::Role;
        assert_eq!(Scope::of(Role::Handler, &[], None), Scope::Region);
        assert_eq!(
            Scope::of(Role::Handler, &[], Some(4)),
            Scope::Units(vec![4])
        );
        assert_eq!(
            Scope::of(Role::Manager, &[1, 2], None),
            Scope::Units(vec![1, 2])
        );
        assert_eq!(
            Scope::of(Role::ChiefPhysician, &[1, 2], Some(2)),
            Scope::Units(vec![2])
        );
        assert!(!Scope::Region.suppresses());
        assert!(Scope::Units(vec![1, 2]).suppresses());
    }

    #[test]
    fn small_counts_are_hidden_in_narrow_views_only() {
        assert_eq!(Cell::count(0, true), Cell::Exact(0));
        for n in 1..5 {
            assert_eq!(Cell::count(n, true), Cell::Under5);
            assert_eq!(Cell::count(n, false), Cell::Exact(n));
        }
        assert_eq!(Cell::count(5, true), Cell::Exact(5));
        // A total would give away its one hidden part: 12 − 9 = 3.
        assert_eq!(Cell::total(&[9, 3, 0], true), Cell::AtLeast5);
        assert_eq!(Cell::total(&[9, 3, 0], false), Cell::Exact(12));
        assert_eq!(Cell::total(&[9, 5, 0], true), Cell::Exact(14));
        assert_eq!(Cell::total(&[1, 2], true), Cell::Under5);
        assert_eq!(derived(4, true, Some(1.0)), None);
        assert_eq!(derived(4, false, Some(1.0)), Some(1.0));
        assert_eq!(derived(0, false, Some(1.0)), None);
        assert_eq!(derived(5, true, Some(1.0)), Some(1.0));
    }

    #[test]
    fn shares_never_give_a_small_count_away() {
        let w = |n| Cell::Exact(n);
        assert_eq!(share(5, w(20), true), Some(0.25));
        assert_eq!(share(3, w(20), true), None, "3 of 20 would show 3");
        assert_eq!(
            share(17, w(20), true),
            None,
            "17 of 20 would show the other 3"
        );
        assert_eq!(share(0, w(20), true), Some(0.0));
        assert_eq!(share(20, w(20), true), Some(1.0));
        assert_eq!(share(2, w(4), true), None);
        assert_eq!(share(3, w(20), false), Some(0.15));
        assert_eq!(share(5, Cell::AtLeast5, true), None);
        assert_eq!(share(0, w(0), false), None);
    }

    #[test]
    fn medians_and_percentiles_from_ranks() {
        assert_eq!(ranks(1), [1, 1, 1]);
        assert_eq!(ranks(4), [2, 3, 4]);
        assert_eq!(ranks(10), [5, 6, 9]);
        assert_eq!(ranks(11), [6, 6, 10]);
        let rows = [(2, 20.0), (3, 30.0), (4, 40.0)];
        assert_eq!(median_p90(4, &rows), Some((25.0, 40.0)));
        assert_eq!(median_p90(4, &rows[..2]), None);
        assert_eq!(median_p90(0, &rows), None);
    }

    #[test]
    fn locks_in_force_month_by_month() {
        assert_eq!(in_force(10, &[3, 0, 2], &[1, 4, 0]), vec![12, 8, 10]);
    }

    /// The reference: sort, take the middle and the nearest rank.
    fn reference(values: &[i64]) -> (f64, f64) {
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2] as f64
        } else {
            (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
        };
        let rank = (0.9 * n as f64).ceil() as usize;
        (median, v[rank.max(1) - 1] as f64)
    }

    proptest! {
        /// The rows at `ranks` give the same median and percentile as sorting all values.
        #[test]
        fn ranks_agree_with_sorting(values in proptest::collection::vec(0i64..10_000, 1..200)) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let n = sorted.len() as i64;
            let rows: Vec<(i64, f64)> = ranks(n)
                .iter()
                .map(|&r| (r, sorted[(r - 1) as usize] as f64))
                .collect();
            prop_assert_eq!(median_p90(n, &rows), Some(reference(&values)));
        }

        /// In a narrow view no count of 1–4 is ever shown, directly, as a total less its shown
        /// parts, or as a share of a shown total.
        #[test]
        fn no_small_count_can_be_read_back(parts in proptest::collection::vec(0i64..12, 1..6), part in 0usize..6) {
            let cells: Vec<Cell> = parts.iter().map(|&p| Cell::count(p, true)).collect();
            for c in &cells {
                if let Cell::Exact(n) = c {
                    prop_assert!(*n == 0 || *n >= THRESHOLD);
                }
            }
            let total = Cell::total(&parts, true);
            if let Cell::Exact(t) = total {
                // Every part is exact, so nothing hidden is given away by subtracting.
                prop_assert!(cells.iter().all(|c| c.exact().is_some()));
                prop_assert!(t == 0 || t >= THRESHOLD);
            }
            let p = parts[part % parts.len()];
            if let Some(s) = share(p, total, true) {
                let t = total.exact().unwrap_or_default();
                let back = (s * t as f64).round() as i64;
                prop_assert!(back == 0 || back >= THRESHOLD);
                prop_assert!(t - back == 0 || t - back >= THRESHOLD);
            }
        }

        /// The period never exceeds ten years, whatever is typed.
        #[test]
        fn periods_never_exceed_ten_years(y1 in 1990i32..2110, m1 in 0u32..14, y2 in 1990i32..2110, m2 in 0u32..14) {
            let today = d(2100, 12, 31);
            let (f, t) = (format!("{y1:04}-{m1:02}"), format!("{y2:04}-{m2:02}"));
            if let Ok(p) = Period::parse(Some(&f), Some(&t), today) {
                prop_assert!(p.from <= p.to);
                prop_assert!(p.months().len() <= MAX_MONTHS);
                prop_assert_eq!(p.months().len() as i64, p.from.months_until(p.to) + 1);
            }
        }
    }
}
