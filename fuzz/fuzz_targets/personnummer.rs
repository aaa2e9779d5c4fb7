//! `Personnummer::parse` on any text: never panics, and what it accepts is a real personnummer or
//! samordningsnummer whose canonical form parses back to the same number.
#![no_main]

use kontosparr::domain::personnummer::{Personnummer, luhn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 11, 23) else {
        return;
    };
    let Ok(p) = Personnummer::parse(text, today) else {
        return;
    };
    let digits = p.digits();
    assert_eq!(digits.len(), 12, "{text:?}");
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{text:?}");
    let d: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    assert_eq!(luhn(&d[2..11]), d[11], "check digit of {text:?}");
    assert_ne!(&digits[8..11], "000", "serial 000 from {text:?}");
    let born = p.birth_date().expect("an accepted number has a birth date");
    assert!(born <= today, "{text:?} born after today");
    for form in [p.canonical(), digits.clone()] {
        assert_eq!(
            Personnummer::parse(&form, today),
            Ok(p.clone()),
            "{text:?} → {form:?} does not parse back"
        );
    }
});
