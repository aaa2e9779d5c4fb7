//! Diary numbers (diarienummer): `<prefix> <year>-<5-digit sequence>`, e.g. `KSD 2026-00042`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiaryNumber {
    pub prefix: String,
    pub year: i32,
    pub seq: i64,
}

impl DiaryNumber {
    pub fn new(prefix: &str, year: i32, seq: i64) -> Self {
        DiaryNumber {
            prefix: prefix.to_string(),
            year,
            seq,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (prefix, rest) = s.trim().rsplit_once(' ')?;
        let (year, seq) = rest.split_once('-')?;
        if prefix.is_empty() || year.len() != 4 || seq.len() < 5 {
            return None;
        }
        if !year.bytes().all(|b| b.is_ascii_digit()) || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seq: i64 = seq.parse().ok()?;
        if seq == 0 {
            return None;
        }
        Some(DiaryNumber {
            prefix: prefix.to_string(),
            year: year.parse().ok()?,
            seq,
        })
    }
}

impl fmt::Display for DiaryNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-{:05}", self.prefix, self.year, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn format() {
        assert_eq!(
            DiaryNumber::new("KSD", 2026, 42).to_string(),
            "KSD 2026-00042"
        );
        assert_eq!(
            DiaryNumber::parse("KSD 2026-00042"),
            Some(DiaryNumber::new("KSD", 2026, 42))
        );
        for bad in [
            "KSD2026-00042",
            "KSD 26-00042",
            "KSD 2026-42",
            "KSD 2026-00000",
            "",
            " 2026-00001",
        ] {
            assert_eq!(DiaryNumber::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(prefix in "[A-ZÅÄÖ]{1,6}( [A-Z]{1,4})?", year in 2000i32..2100, seq in 1i64..1_000_000) {
            let d = DiaryNumber::new(&prefix, year, seq);
            prop_assert_eq!(DiaryNumber::parse(&d.to_string()), Some(d));
        }
        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = DiaryNumber::parse(&s);
        }
    }
}
