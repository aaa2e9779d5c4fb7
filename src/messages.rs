//! Every message the user reads that is not in a template, as a key of the message catalog
//! (`locales/*/kontosparr.ftl`, prefix `msg-`). Services return these typed (`Key`, `Msg`); the
//! web layer words them in the reader's language (`Layout::tr`, `Msg::in_lang`).

use crate::domain::hsa::HsaIdError;
use crate::domain::personnummer::PnrError;
use crate::domain::validate::PasswordProblem;
pub use crate::i18n::{Key, Msg};

pub const RATE_LIMITED: Key = Key("msg-rate-limited");
pub const REQUIRED: Key = Key("msg-required");
pub const PASSWORD_MISMATCH: Key = Key("msg-password-mismatch");
pub const PASSWORD_SAME_AS_TEMPORARY: Key = Key("msg-password-same-as-temporary");
pub const TOTP_WRONG: Key = Key("msg-totp-wrong");
pub const LINK_INVALID: Key = Key("msg-link-invalid");
pub const EMAIL_INVALID: Key = Key("msg-email-invalid");
pub const CONTROL_CHARS: Key = Key("msg-control-chars");
pub const NUL_REFUSED: Key = Key("msg-nul-refused");
pub const UNAVAILABLE_TITLE: Key = Key("msg-unavailable-title");
pub const UNAVAILABLE: Key = Key("msg-unavailable");
pub const SECRET_UNREADABLE: Key = Key("msg-secret-unreadable");
pub const ROLE_REQUIRED: Key = Key("msg-role-required");
pub const UNIT_REQUIRED: Key = Key("msg-unit-required");
pub const UNIT_UNKNOWN: Key = Key("msg-unit-unknown");
pub const HSA_TAKEN: Key = Key("msg-hsa-taken");
pub const UNIT_CODE_INVALID: Key = Key("msg-unit-code-invalid");
pub const UNIT_CODE_TAKEN: Key = Key("msg-unit-code-taken");
pub const MANAGER_INVALID: Key = Key("msg-manager-invalid");
pub const ORG_INVALID: Key = Key("msg-org-invalid");
pub const ORG_TAKEN: Key = Key("msg-org-taken");
pub const LANG_INVALID: Key = Key("msg-lang-invalid");
pub const CERT_TOO_LARGE: Key = Key("msg-cert-too-large");
pub const OWN_ADMIN_ACCESS: Key = Key("msg-own-admin-access");
pub const ADMIN_EXISTS: Key = Key("msg-admin-exists");
pub const MAIL_NO_RECIPIENT: Key = Key("msg-mail-no-recipient");
pub const MAIL_NOT_FAILED: Key = Key("msg-mail-not-failed");
pub const FILE_REQUIRED: Key = Key("msg-file-required");
pub const FILE_NOT_PDF: Key = Key("msg-file-not-pdf");
pub const STATS_MONTH: Key = Key("msg-stats-month");
pub const STATS_REVERSED: Key = Key("msg-stats-reversed");
pub const STATS_TOO_LONG: Key = Key("msg-stats-too-long");
pub const STATS_FUTURE: Key = Key("msg-stats-future");
pub const STATS_UNIT: Key = Key("msg-stats-unit");

pub fn too_long(max: usize) -> Msg {
    Msg::key("msg-too-long").arg("max", max)
}

pub fn file_too_large(max_mb: usize) -> Msg {
    Msg::key("msg-file-too-large").arg("max", max_mb)
}

pub fn hsa_id(e: HsaIdError) -> Key {
    match e {
        HsaIdError::Empty => Key("msg-hsa-empty"),
        HsaIdError::Format => Key("msg-hsa-format"),
    }
}

pub fn password(p: PasswordProblem) -> Key {
    match p {
        PasswordProblem::TooShort => Key("msg-password-too-short"),
        PasswordProblem::TooLong => Key("msg-password-too-long"),
        PasswordProblem::Common => Key("msg-password-common"),
        PasswordProblem::ContainsUserId => Key("msg-password-contains-id"),
    }
}

pub fn personnummer(e: PnrError) -> Key {
    match e {
        PnrError::Empty => Key("msg-pnr-empty"),
        PnrError::Format => Key("msg-pnr-format"),
        PnrError::Date => Key("msg-pnr-date"),
        PnrError::Future => Key("msg-pnr-future"),
        PnrError::CheckDigit => Key("msg-pnr-check-digit"),
        PnrError::Serial => Key("msg-pnr-serial"),
    }
}

/// A certificate that cannot be used for encrypted feedback (the admin's unit page).
pub fn certificate(e: &crate::mail::cert::CertError) -> Msg {
    use crate::mail::cert::CertError;
    match e {
        CertError::NotPem => Msg::key("msg-cert-not-pem"),
        CertError::NotYetValid(d) => Msg::key("msg-cert-not-yet-valid").arg("date", d.as_str()),
        CertError::Expired(d) => Msg::key("msg-cert-expired").arg("date", d.as_str()),
        CertError::NoEncryption => Msg::key("msg-cert-no-encryption"),
        CertError::NotForEmail => Msg::key("msg-cert-not-for-email"),
    }
}

// --- rules (issue 13) ---
pub const PROVIDER_NOT_ALLOWED: &str = "Vårdgivaren finns inte bland regionens vårdgivare: en annan offentlig vårdgivare ska vara registrerad, en privat vårdgivare ska finnas på listan över godkända vårdgivare.";
pub const MEDICAL_LEAD_INVALID: &str =
    "Välj en aktiv användare som får fatta beslut (beslutsfattare) som medicinskt ansvarig läkare.";
pub const CATEGORY_REQUIRED: &str =
    "Bekräfta att kategorin är vald i ärendesystemet (1177 e-tjänster / Låsa konto vårdpersonal).";
// --- auditor ---
pub const AUDIT_TIME_FORMAT: &str =
    "Skriv datum som ÅÅÅÅ-MM-DD, eller datum och tid som ÅÅÅÅ-MM-DD TT:MM (svensk tid).";
pub const AUDIT_DATE_FORMAT: &str = "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2026-11-01.";
pub const AUDIT_PERIOD_ORDER: &str = "Slutet av perioden kan inte ligga före början.";
pub const AUDIT_PERIOD_LONG: &str = "Perioden får vara högst 366 dagar.";
pub const AUDIT_ROLE_UNKNOWN: &str = "Välj en roll i listan.";
pub const AUDIT_ACTION_FORMAT: &str =
    "Händelsen skrivs med små bokstäver och understreck, till exempel case_view.";
pub const AUDIT_CASE_FORMAT: &str = "Skriv ärendets nummer med siffror, till exempel 42.";
pub const AUDIT_SAMPLE_SIZE: &str = "Skriv ett antal mellan 1 och 200.";
pub const AUDIT_OUTCOME: &str = "Välj ett resultat.";
pub const AUDIT_SAMPLE_OUTSIDE: &str =
    "Urvalet hör inte till perioden. Dra ett nytt urval för perioden.";

// --- lists ---
/// The handler's search field held neither a personnummer nor a diary or case number.
pub const SEARCH_TERM: &str = "Skriv ett personnummer (ÅÅÅÅMMDD-NNNN), ett diarienummer \
     (till exempel KSD 2026-00042) eller ett ärendenummer (till exempel nr 123).";

/// A list filter's date that is not a date.
pub const LIST_DATE: &str = "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-11-23.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::personnummer::Personnummer;
    use crate::i18n::Lang;
    use chrono::NaiveDate;

    #[test]
    fn serial_000_has_its_own_message() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
        // 19121212-000x with the right check digit, and with a wrong one: the serial decides.
        for input in [
            "19121212-0008",
            "19121212-0000",
            "121212-0008",
            "191212120005",
        ] {
            let e = Personnummer::parse(input, today).err();
            assert_eq!(e, Some(PnrError::Serial), "{input}");
        }
        let serial = personnummer(PnrError::Serial).to_string();
        assert_ne!(serial, personnummer(PnrError::CheckDigit).to_string());
        assert!(serial.contains("000"), "{serial}");
        assert!(!serial.contains("kontrollsiffran"), "{serial}");
        let en = Msg::from(personnummer(PnrError::Serial)).in_lang(Lang::En);
        assert!(en.contains("000") && en.contains("serial"), "{en}");
    }

    #[test]
    fn arguments_reach_the_text() {
        assert_eq!(
            too_long(200).to_string(),
            "Texten är för lång: högst 200 tecken."
        );
        assert_eq!(
            too_long(200).in_lang(Lang::En),
            "The text is too long: at most 200 characters."
        );
    }
}
