//! HSA-ID: `SE` + ten digits (the organisation number) + `-` + a suffix, 31 characters at most.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HsaId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HsaIdError {
    #[error("empty")]
    Empty,
    #[error("wrong format")]
    Format,
}

impl HsaId {
    pub fn parse(input: &str) -> Result<Self, HsaIdError> {
        let s = input.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(HsaIdError::Empty);
        }
        if s.len() > 31 || !s.starts_with("SE") {
            return Err(HsaIdError::Format);
        }
        let rest = &s[2..];
        let (org, suffix) = rest.split_once('-').ok_or(HsaIdError::Format)?;
        if org.len() != 10 || !org.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HsaIdError::Format);
        }
        if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(HsaIdError::Format);
        }
        Ok(HsaId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HsaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(
            HsaId::parse(" se2321000131-p000000012345 ").map(|h| h.0),
            Ok("SE2321000131-P000000012345".into())
        );
        for bad in [
            "",
            "SE232100013-P1",
            "SE2321000131P1",
            "SE2321000131-",
            "XX2321000131-P1",
            "SE2321000131-P1-2",
            "SE2321000131-P0000000000000000000",
        ] {
            assert!(HsaId::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn valid_ids_round_trip(org in "[0-9]{10}", suffix in "[A-Z0-9]{1,18}") {
            let s = format!("SE{org}-{suffix}");
            prop_assert_eq!(HsaId::parse(&s).map(|h| h.0), Ok(s.clone()));
        }
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = HsaId::parse(&s);
        }
    }
}
