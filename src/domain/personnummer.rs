//! Swedish personnummer and samordningsnummer (SPEC §2).
//!
//! Accepted forms: `YYYYMMDD-NNNN`, `YYYYMMDDNNNN`, `YYYYMMDD+NNNN`, `YYMMDD-NNNN`, `YYMMDD+NNNN`
//! and `YYMMDDNNNN`. For the short forms the century follows from today's date: the person is
//! taken to be under 100 years old, and a `+` adds a hundred years. The date must exist (leap years
//! included; day + 60 for a samordningsnummer) and the last digit is a Luhn check digit over the
//! ten digits `YYMMDDNNN`. The serial number 000 is never issued and is refused.
//!
//! We do not use the `personnummer` crate: it computes samordningsnummer check digits wrongly.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// A valid personnummer or samordningsnummer, stored canonically as twelve digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Personnummer {
    digits: [u8; 12],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PnrError {
    #[error("empty")]
    Empty,
    #[error("wrong format")]
    Format,
    #[error("no such date")]
    Date,
    #[error("birth date in the future")]
    Future,
    #[error("wrong check digit")]
    CheckDigit,
    #[error("serial number 000")]
    Serial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Personnummer,
    Samordningsnummer,
}

impl Personnummer {
    /// Parses any accepted form; `today` decides the century of the short forms.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, PnrError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PnrError::Empty);
        }
        if !s.is_ascii() {
            return Err(PnrError::Format);
        }
        let (body, sep) = match s.len() {
            13 | 11 => {
                let (b, rest) = s.split_at(s.len() - 5);
                let sep = rest.as_bytes()[0];
                if sep != b'-' && sep != b'+' {
                    return Err(PnrError::Format);
                }
                (format!("{b}{}", &rest[1..]), Some(sep))
            }
            12 | 10 => (s.to_string(), None),
            _ => return Err(PnrError::Format),
        };
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PnrError::Format);
        }
        let d: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        let mut digits = [0u8; 12];
        if d.len() == 12 {
            digits.copy_from_slice(&d);
        } else {
            let yy = i32::from(d[0]) * 10 + i32::from(d[1]);
            let month = u32::from(d[2]) * 10 + u32::from(d[3]);
            let day = real_day(u32::from(d[4]) * 10 + u32::from(d[5]));
            let mut year = (today.year() / 100) * 100 + yy;
            // Under 100 years old: a birth date after today belongs to the previous century.
            let born = NaiveDate::from_ymd_opt(year, month, day).ok_or(PnrError::Date)?;
            if born > today {
                year -= 100;
            }
            if sep == Some(b'+') {
                year -= 100;
            }
            let century = (year / 100) as u8;
            digits[0] = century / 10;
            digits[1] = century % 10;
            digits[2..].copy_from_slice(&d);
        }
        let p = Personnummer { digits };
        let date = p.birth_date().ok_or(PnrError::Date)?;
        if date.year() < 1800 {
            return Err(PnrError::Date);
        }
        if date > today {
            return Err(PnrError::Future);
        }
        // Serial number 000 is never issued.
        if digits[8..11] == [0, 0, 0] {
            return Err(PnrError::Serial);
        }
        if luhn(&digits[2..11]) != digits[11] {
            return Err(PnrError::CheckDigit);
        }
        Ok(p)
    }

    pub fn kind(&self) -> Kind {
        if self.digits[6] >= 6 {
            Kind::Samordningsnummer
        } else {
            Kind::Personnummer
        }
    }

    /// The real birth date (for a samordningsnummer the day less 60).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let n = |i: usize, len: usize| {
            self.digits[i..i + len]
                .iter()
                .fold(0u32, |acc, &x| acc * 10 + u32::from(x))
        };
        let year = i32::try_from(n(0, 4)).ok()?;
        NaiveDate::from_ymd_opt(year, n(4, 2), real_day(n(6, 2)))
    }

    /// Twelve digits, no separator (how it is stored).
    pub fn digits(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The display form of twelve stored digits (`YYYYMMDD-NNNN`), without validating them.
    pub fn display_digits(digits: &str) -> String {
        if digits.len() == 12 && digits.is_ascii() {
            format!("{}-{}", &digits[..8], &digits[8..])
        } else {
            digits.to_string()
        }
    }

    /// Canonical display form `YYYYMMDD-NNNN`.
    pub fn canonical(&self) -> String {
        let s = self.digits();
        format!("{}-{}", &s[..8], &s[8..])
    }
}

impl fmt::Display for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

fn real_day(day: u32) -> u32 {
    if day > 60 { day - 60 } else { day }
}

/// Luhn check digit for the given digits.
pub fn luhn(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let v = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            if v > 9 { v - 9 } else { v }
        })
        .sum();
    ((10 - (sum % 10)) % 10) as u8
}

/// What is shown instead of a protected citizen's name or contact data (SPEC §2).
pub const MASK: &str = "*****";

/// A citizen's name or contact data as it may be shown: the mask when the identity is protected.
/// The one place the rule lives; pages, lists and mail all call it.
pub fn shown(value: &str, protected: bool) -> String {
    if protected {
        MASK.to_string()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default()
    }

    fn parse(s: &str) -> Result<Personnummer, PnrError> {
        Personnummer::parse(s, today())
    }

    #[test]
    fn all_forms_give_the_same_number() {
        for s in [
            "19121212-1212",
            "191212121212",
            "121212+1212",
            "19121212+1212",
        ] {
            assert_eq!(
                parse(s).map(|p| p.canonical()),
                Ok("19121212-1212".into()),
                "{s}"
            );
        }
        for s in ["20121212-1212", "201212121212", "121212-1212", "1212121212"] {
            assert_eq!(
                parse(s).map(|p| p.canonical()),
                Ok("20121212-1212".into()),
                "{s}"
            );
        }
    }

    #[test]
    fn century_follows_today() {
        // Born 22 Nov 1926 or 2026? Today is 2026-11-22: 261122 is today, 261123 is 1926.
        let mut d = [2, 6, 1, 1, 2, 3, 1, 2, 3];
        let c = luhn(&d);
        let s = format!("261123-123{c}");
        assert_eq!(
            parse(&s).map(|p| p.canonical()[..4].to_string()),
            Ok("1926".into())
        );
        d[5] = 2;
        let c = luhn(&d);
        let s = format!("261122-123{c}");
        assert_eq!(
            parse(&s).map(|p| p.canonical()[..4].to_string()),
            Ok("2026".into())
        );
    }

    #[test]
    fn leap_days() {
        assert!(parse("20000229-2399").is_ok());
        let d = [0, 1, 0, 2, 2, 9, 2, 3, 9];
        let s = format!("20010229-239{}", luhn(&d));
        assert_eq!(parse(&s), Err(PnrError::Date));
        // 1900 was not a leap year, 2000 was.
        let d = [0, 0, 0, 2, 2, 9, 2, 3, 9];
        let s = format!("19000229-239{}", luhn(&d));
        assert_eq!(parse(&s), Err(PnrError::Date));
    }

    #[test]
    fn samordningsnummer() {
        let p = parse("19730288-9931");
        assert_eq!(p.as_ref().map(|p| p.kind()), Ok(Kind::Samordningsnummer));
        assert_eq!(
            p.ok().and_then(|p| p.birth_date()),
            NaiveDate::from_ymd_opt(1973, 2, 28)
        );
        // Day 92 - 60 = 32 does not exist.
        let d = [7, 3, 0, 1, 9, 2, 9, 9, 3];
        assert_eq!(
            parse(&format!("19730192-993{}", luhn(&d))),
            Err(PnrError::Date)
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        for s in [
            "",
            "abc",
            "19121212 1212",
            "1912121212121",
            "19121212_1212",
            "١٢١٢١٢-١٢١٢",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
        assert_eq!(parse("19121212-1213"), Err(PnrError::CheckDigit));
        let d = [9, 9, 1, 2, 1, 2, 1, 2, 1];
        assert_eq!(
            parse(&format!("20991212-121{}", luhn(&d))),
            Err(PnrError::Future)
        );
    }

    #[derive(serde::Deserialize)]
    struct Case {
        long_format: String,
        short_format: String,
        separated_format: String,
        separated_long: String,
        valid: bool,
        #[serde(rename = "type")]
        kind: String,
    }

    #[test]
    fn shared_test_list() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/personnummer-list.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let cases: Vec<Case> = serde_json::from_str(&text).unwrap_or_default();
        assert!(cases.len() >= 14, "test list missing at {path}");
        for c in cases {
            for form in [
                &c.long_format,
                &c.separated_long,
                &c.separated_format,
                &c.short_format,
            ] {
                assert_eq!(
                    parse(form).is_ok(),
                    c.valid,
                    "{form} should be valid={}",
                    c.valid
                );
            }
            if c.valid {
                let want = format!("{}-{}", &c.long_format[..8], &c.long_format[8..]);
                for form in [&c.long_format, &c.separated_long, &c.separated_format] {
                    let p = parse(form);
                    assert_eq!(
                        p.as_ref().map(|p| p.canonical()),
                        Ok(want.clone()),
                        "{form}"
                    );
                    let kind = if c.kind == "con" {
                        Kind::Samordningsnummer
                    } else {
                        Kind::Personnummer
                    };
                    assert_eq!(p.map(|p| p.kind()), Ok(kind), "{form}");
                }
            }
        }
    }

    fn arb_valid() -> impl Strategy<Value = Personnummer> {
        (
            1900i32..2026,
            1u32..=12,
            1u32..=28,
            1u32..=999,
            any::<bool>(),
        )
            .prop_map(|(y, m, d, serial, coord)| {
                let day = if coord { d + 60 } else { d };
                let mut digits = [0u8; 12];
                let s = format!("{y:04}{m:02}{day:02}{serial:03}");
                for (i, b) in s.bytes().enumerate() {
                    digits[i] = b - b'0';
                }
                digits[11] = luhn(&digits[2..11]);
                Personnummer { digits }
            })
    }

    proptest! {
        #[test]
        fn every_form_round_trips(p in arb_valid()) {
            let digits = p.digits();
            let canon = p.canonical();
            prop_assert_eq!(parse(&digits), Ok(p.clone()));
            prop_assert_eq!(parse(&canon), Ok(p.clone()));
            // The short form with the right separator gives the same number back.
            let born = p.birth_date().unwrap_or_default();
            let age_100 = born.with_year(born.year() + 100).is_some_and(|d| d <= today());
            let sep = if age_100 { '+' } else { '-' };
            let short = format!("{}{}{}", &digits[2..8], sep, &digits[8..]);
            prop_assert_eq!(parse(&short), Ok(p.clone()));
        }

        #[test]
        fn a_changed_digit_is_caught(p in arb_valid(), pos in 2usize..12, delta in 1u8..10) {
            let mut d = p.digits;
            d[pos] = (d[pos] + delta) % 10;
            let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
            prop_assert!(parse(&s).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse(&s);
        }
    }
}
