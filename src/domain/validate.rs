//! Small validators shared by forms and the command line.

/// One plain RFC 5321 mailbox, `local@domain`, 254 characters at most: the local part a dot-atom
/// (letters, digits and ``!#$%&'*+-/=?^_`{|}~``, dots only between them, at most 64 bytes), the
/// domain two or more labels of letters, digits and inner hyphens. No display names, angle
/// brackets, quoted local parts, comments, lists (`,`/`;`), white space or control characters:
/// the address goes into a mail header as it is.
pub fn email(s: &str) -> bool {
    let s = s.trim();
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let local_ok = local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// Whether a recipient certificate is for this mailbox: one of the certificate's addresses
/// (subject e-mail or SAN rfc822Name) equals it, compared without case (mail systems treat the
/// local part without case, and certificate issuers write it as they please).
pub fn certificate_covers(cert_addresses: &[String], mailbox: &str) -> bool {
    let norm = |a: &str| {
        let a = a.trim();
        match a.rsplit_once('@') {
            Some((l, d)) => format!("{}@{}", l.to_lowercase(), d.to_ascii_lowercase()),
            None => a.to_lowercase(),
        }
    };
    let m = norm(mailbox);
    !m.is_empty() && cert_addresses.iter().any(|a| norm(a) == m)
}

/// A file size as people read it: bytes below 1 kB, then kB rounded up (a 632-byte file is
/// "632 byte", never "0 kB"), then MB with one decimal.
/// (Takes the size by value or by reference, as templates pass it.)
pub fn file_size_label(bytes: impl std::borrow::Borrow<i64>) -> String {
    let b = (*bytes.borrow()).max(0);
    if b < 1024 {
        format!("{b} byte")
    } else if b < 1024 * 1024 {
        format!("{} kB", (b + 1023) / 1024)
    } else {
        let tenths = (b * 10 + 1024 * 1024 - 1) / (1024 * 1024);
        format!("{},{} MB", tenths / 10, tenths % 10)
    }
}

/// Whether `s` holds a control character (C0, DEL or C1, NUL included). With `line_breaks`, CR, LF
/// and TAB are allowed (free-text areas); names and search terms are one line.
pub fn has_control(s: &str, line_breaks: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(line_breaks && matches!(c, '\n' | '\r' | '\t')))
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
    fn certificate_addresses() {
        let c = vec!["Chef@Example.SE".to_string(), "other@example.se".into()];
        assert!(certificate_covers(&c, "chef@example.se"));
        assert!(certificate_covers(&c, " other@EXAMPLE.se "));
        assert!(!certificate_covers(&c, "ny.chef@example.se"));
        assert!(!certificate_covers(&c, ""));
        assert!(!certificate_covers(&[], "chef@example.se"));
    }

    #[test]
    fn file_sizes() {
        assert_eq!(file_size_label(632), "632 byte");
        assert_eq!(file_size_label(0), "0 byte");
        assert_eq!(file_size_label(1024), "1 kB");
        assert_eq!(file_size_label(1025), "2 kB");
        assert_eq!(file_size_label(10 * 1024 * 1024), "10,0 MB");
    }

    proptest::proptest! {
        /// A non-empty file never reads as zero.
        #[test]
        fn a_file_is_never_zero(b in 1i64..100_000_000) {
            let l = file_size_label(b);
            proptest::prop_assert!(!l.starts_with("0 ") && !l.starts_with("0,0"));
        }
    }

    #[test]
    fn emails() {
        for good in [
            "anna.andersson@vgregion.se",
            "a@x.se",
            "anna+kontosparr@sub.vgregion.se",
            "o'brien@x.se",
            "åsa.öberg@vgregion.se",
            "a@x-y.se",
        ] {
            assert!(email(good), "{good}");
        }
        for bad in [
            "",
            "anna",
            "anna@",
            "@x.se",
            "a b@x.se",
            "a@x",
            "a@@x.se",
            "a@.se",
            // More than one mailbox, or a header's worth of text, in one field.
            "a,evil@evil.example",
            "a@x.se, b@y.se",
            "a@x.se,b@y.se",
            "a@x.se;b@y.se",
            "<a@x.se>",
            "Anna <a@x.se>",
            "\"a b\"@x.se",
            "\"a\"@x.se",
            "a@x.se\r\nBcc: evil@evil.example",
            "a@x.se\nb",
            "a\t@x.se",
            "a@x.se (kommentar)",
            "a..b@x.se",
            ".a@x.se",
            "a.@x.se",
            "a@x..se",
            "a@-x.se",
            "a@x-.se",
            "a@[127.0.0.1]",
            "a\\b@x.se",
            "a@x.se\u{0}",
        ] {
            assert!(!email(bad), "{bad:?}");
        }
        assert!(!email(&format!("{}@x.se", "a".repeat(65))));
    }

    #[test]
    fn control_characters() {
        assert!(!has_control("Anna Andersson", false));
        assert!(!has_control("Åsa Öberg-Ängström", false));
        for bad in [
            "a\nb",
            "a\rb",
            "a\tb",
            "a\u{0}b",
            "a\u{1b}[31mb",
            "a\u{7f}",
            "a\u{85}b",
        ] {
            assert!(has_control(bad, false), "{bad:?}");
        }
        assert!(!has_control("rad ett\r\nrad två\tindrag", true));
        assert!(has_control("a\u{0}b", true));
        assert!(has_control("a\u{1b}b", true));
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
