//! Every message the user reads that is not in a template, in one place (Swedish), so that a
//! translation can follow.

use crate::domain::hsa::HsaIdError;
use crate::domain::personnummer::PnrError;
use crate::domain::validate::PasswordProblem;

pub const RATE_LIMITED: &str =
    "För många inloggningsförsök från din dator. Vänta några minuter och försök igen.";
pub const REQUIRED: &str = "Fyll i fältet.";
pub const PASSWORD_MISMATCH: &str = "Lösenorden är inte lika. Skriv samma lösenord två gånger.";
pub const TOTP_WRONG: &str = "Koden stämmer inte. Kontrollera att klockan i telefonen går rätt och skriv den kod som visas nu.";
pub const LINK_INVALID: &str = "Länken går inte att använda: den är redan använd, har gått ut eller \
     är felaktig. Be administratören om en ny länk.";
pub const EMAIL_INVALID: &str = "Skriv en e-postadress, till exempel anna.andersson@vgregion.se.";
pub const CONTROL_CHARS: &str = "Texten innehåller ett otillåtet tecken, till exempel en \
     radbrytning eller ett styrtecken. Skriv den på en rad med vanliga tecken.";
pub const NUL_REFUSED: &str = "Begäran innehöll ett nolltecken (NUL, %00 eller \\u0000), som \
     tjänsten inte tar emot. Ta bort tecknet och försök igen.";
pub const UNAVAILABLE_TITLE: &str = "Tjänsten är tillfälligt otillgänglig";
pub const UNAVAILABLE: &str = "Databasen svarar inte just nu, så ingenting har sparats. \
     Försök igen om en stund. Kvarstår felet, kontakta support och ange referensen nedan.";
pub const SECRET_UNREADABLE: &str = "Tvåfaktorsuppgifterna kunde inte läsas. Kontakta \
     support och ange referensen nedan.";
pub const ROLE_REQUIRED: &str = "Välj minst en roll.";
pub const UNIT_REQUIRED: &str =
    "Vårdpersonal, verksamhetschefer och chefläkare måste höra till minst en enhet.";
pub const UNIT_UNKNOWN: &str = "Enheten finns inte.";
pub const HSA_TAKEN: &str = "Det finns redan en användare med detta HSA-id.";
pub const UNIT_CODE_INVALID: &str =
    "Enhetskoden får bara innehålla bokstäver A–Z, siffror och bindestreck (högst 32 tecken).";
pub const UNIT_CODE_TAKEN: &str = "Det finns redan en enhet med denna kod.";
pub const MANAGER_INVALID: &str = "Välj en aktiv användare med rollen verksamhetschef.";
pub const ORG_INVALID: &str = "Skriv ett organisationsnummer med tio siffror, till exempel 556677-8899 (kontrollsiffran stämmer inte annars).";
pub const ORG_TAKEN: &str = "Vårdgivaren finns redan i listan.";

pub fn too_long(max: usize) -> String {
    format!("Texten är för lång: högst {max} tecken.")
}

pub fn hsa_id(e: HsaIdError) -> &'static str {
    match e {
        HsaIdError::Empty => "Fyll i HSA-id.",
        HsaIdError::Format => {
            "Skriv HSA-id som SE, tio siffror, bindestreck och ett suffix, till exempel SE2321000131-P000000012345."
        }
    }
}

pub fn password(p: PasswordProblem) -> &'static str {
    match p {
        PasswordProblem::TooShort => "Lösenordet måste ha minst 12 tecken.",
        PasswordProblem::TooLong => "Lösenordet får ha högst 128 tecken.",
        PasswordProblem::Common => {
            "Lösenordet är för vanligt eller för enkelt. Välj en längre fras som inte är lätt att gissa."
        }
        PasswordProblem::ContainsUserId => "Lösenordet får inte innehålla ditt HSA-id.",
    }
}

pub fn personnummer(e: PnrError) -> &'static str {
    match e {
        PnrError::Empty => "Fyll i personnummer eller samordningsnummer.",
        PnrError::Format => "Skriv personnumret som ÅÅÅÅMMDD-NNNN, till exempel 19121212-1212.",
        PnrError::Date => "Personnumret innehåller inget giltigt datum. Kontrollera siffrorna.",
        PnrError::Future => {
            "Födelsedatumet i personnumret ligger i framtiden. Kontrollera siffrorna."
        }
        PnrError::CheckDigit => {
            "Personnumret är inte giltigt (kontrollsiffran stämmer inte). Kontrollera siffrorna."
        }
        PnrError::Serial => {
            "Personnumret är inte giltigt: födelsenumret (de tre siffrorna efter bindestrecket) \
             kan inte vara 000. Kontrollera siffrorna."
        }
    }
}

/// The handler's search field held neither a personnummer nor a diary or case number.
pub const SEARCH_TERM: &str = "Skriv ett personnummer (ÅÅÅÅMMDD-NNNN), ett diarienummer \
     (till exempel KSD 2026-00042) eller ett ärendenummer (till exempel nr 123).";

/// A list filter's date that is not a date.
pub const LIST_DATE: &str = "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-11-23.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::personnummer::Personnummer;
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
        let serial = personnummer(PnrError::Serial);
        assert_ne!(serial, personnummer(PnrError::CheckDigit));
        assert!(serial.contains("000"), "{serial}");
        assert!(!serial.contains("kontrollsiffran"), "{serial}");
    }
}
