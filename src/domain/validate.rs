//! Small validators shared by forms and the command line.

/// A plausible e-mail address: one `@`, a dot in the domain, no white space, 254 chars at most.
pub fn email(s: &str) -> bool {
    let s = s.trim();
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// A Swedish organisationsnummer `NNNNNN-NNNN` (or without the dash) with a Luhn check digit.
/// Returns the canonical form with the dash.
pub fn org_number(s: &str) -> Option<String> {
    let digits: String = s.trim().chars().filter(|c| *c != '-').collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.trim().contains('-') && s.trim().find('-') != Some(6) {
        return None;
    }
    let d: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    if super::personnummer::luhn(&d[..9]) != d[9] {
        return None;
    }
    Some(format!("{}-{}", &digits[..6], &digits[6..]))
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("too short")]
    TooShort,
    #[error("too long")]
    TooLong,
    #[error("too common")]
    Common,
    #[error("contains the user id")]
    ContainsUserId,
}

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// The password policy: 12–128 characters, not on the list of common passwords (compared without
/// case and without trailing digits and punctuation), not containing the HSA-ID.
pub fn password(candidate: &str, hsa_id: &str) -> Result<(), PasswordProblem> {
    let n = candidate.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let lower = candidate.to_lowercase();
    if !hsa_id.is_empty() && lower.contains(&hsa_id.to_lowercase()) {
        return Err(PasswordProblem::ContainsUserId);
    }
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let common = COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == lower || l == stem);
    // A single repeated character or an all-digit sequence is as weak as a listed one.
    let one_char = lower.chars().all(|c| lower.starts_with(c));
    let all_digits = lower.chars().all(|c| c.is_ascii_digit());
    if common || one_char || all_digits {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("anna.andersson@vgregion.se"));
        for bad in [
            "", "anna", "anna@", "@x.se", "a b@x.se", "a@x", "a@@x.se", "a@.se",
        ] {
            assert!(!email(bad), "{bad}");
        }
    }

    #[test]
    fn org_numbers() {
        assert_eq!(org_number("232100-0131"), Some("232100-0131".into()));
        assert_eq!(org_number("2321000131"), Some("232100-0131".into()));
        assert_eq!(org_number("232100-0132"), None);
        assert_eq!(org_number("2321-000131"), None);
        assert_eq!(org_number("abc"), None);
    }

    #[test]
    fn passwords() {
        assert_eq!(password("kort", ""), Err(PasswordProblem::TooShort));
        assert_eq!(
            password(&"x".repeat(129), ""),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(password("Password1234", ""), Err(PasswordProblem::Common));
        assert_eq!(password("lösenord2024!", ""), Err(PasswordProblem::Common));
        assert_eq!(password("aaaaaaaaaaaaaa", ""), Err(PasswordProblem::Common));
        assert_eq!(
            password("123456789012345", ""),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            password("xSE2321000131-P1x!", "SE2321000131-P1"),
            Err(PasswordProblem::ContainsUserId)
        );
        assert_eq!(password("Blåbärssylt i juni 7", "SE2321000131-P1"), Ok(()));
        // Twelve characters, counted as characters not bytes.
        assert_eq!(password("åäöåäöåäöåäx", ""), Ok(()));
    }
}
