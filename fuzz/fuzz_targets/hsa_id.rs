//! `HsaId::parse` on any text: never panics, and what it accepts is `SE`, ten digits, `-` and an
//! alphanumeric suffix, at most 31 characters, upper case, and parses back to itself.
#![no_main]

use kontosparr::domain::HsaId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(id) = HsaId::parse(text) else {
        return;
    };
    let s = id.as_str();
    assert!(s.len() <= 31, "{text:?}");
    assert!(s.starts_with("SE"), "{text:?}");
    let (org, suffix) = s[2..].split_once('-').expect("a dash");
    assert!(
        org.len() == 10 && org.bytes().all(|b| b.is_ascii_digit()),
        "{text:?}"
    );
    assert!(
        !suffix.is_empty()
            && suffix
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        "{text:?}"
    );
    assert_eq!(HsaId::parse(s), Ok(id.clone()), "{text:?}");
});
