//! The grounds of a request (seed 002 §2) and the fixed choices of the case form.

/// (code, Swedish label) pairs.
pub type Choices = &'static [(&'static str, &'static str)];

pub const RISKS: Choices = &[("skada", "Skada"), ("men", "Men"), ("hot", "Hot")];

pub const BASIS: Choices = &[
    ("medical", "Medicinska omständigheter"),
    ("psychosocial", "Psykosociala omständigheter"),
    ("security", "Säkerhetsrelaterade omständigheter"),
];

pub const SITUATIONS: Choices = &[
    ("psych_harm", "Risk för allvarlig psykisk skada"),
    ("threat", "Hotbild"),
    ("protected_identity", "Skyddad identitet"),
    ("honour_violence", "Hedersrelaterat våld"),
    ("psychiatric", "Psykiatriskt tillstånd"),
    (
        "digital_inability",
        "Bristande förmåga att hantera digital information",
    ),
    ("other", "Annat"),
];

pub const NOT_INFORMED: Choices = &[
    ("patient_safety", "Av hänsyn till patientsäkerheten"),
    ("secrecy", "Av sekretesskäl"),
];

pub const REQUESTED_BY: Choices = &[
    ("staff", "Hälso- och sjukvårdspersonal"),
    (
        "citizen",
        "Invånaren själv, genom hälso- och sjukvårdspersonal",
    ),
];

pub fn label(choices: Choices, code: &str) -> &'static str {
    choices
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

pub fn is_choice(choices: Choices, code: &str) -> bool {
    choices.iter().any(|(c, _)| *c == code)
}

/// Stored as a comma-separated list of codes.
pub fn join(codes: &[String]) -> String {
    codes.join(",")
}

pub fn split(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The handler's checklist (SPEC §3), items 1–7; 8 and 9 are the execution itself.
pub const CHECKS: Choices = &[
    ("arrival_stamped", "1. Blanketten är ankomststämplad"),
    (
        "register_match",
        "2. Personnumret stämmer med namnet i folkbokföringen (PU)",
    ),
    (
        "certified",
        "3. Blanketten är vidimerad av hälso- och sjukvårdspersonal",
    ),
    (
        "earlier_cases",
        "4. Tidigare ärenden för personnumret är sökta",
    ),
    (
        "category",
        "5. Kategori vald i ärendesystemet (1177 e-tjänster)",
    ),
    (
        "identity_by_phone",
        "6. Identiteten kontrollerad per telefon (vårdgivare utanför regionen utan regionalt id)",
    ),
    (
        "provider_approved",
        "7. Den privata vårdgivaren finns på listan över godkända vårdgivare",
    ),
];

/// Which checklist items apply: paper forms need 1 and 3 (a form submitted in the system is
/// certified by its signature); a provider outside the region without a regional id needs 6
/// (identity by phone, 002 §6.9); a private provider needs 7 (the approved list, §6.10).
pub fn applicable_checks(paper: bool, provider: super::provider::Provider) -> Vec<&'static str> {
    CHECKS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| match *c {
            "arrival_stamped" | "certified" => paper,
            "identity_by_phone" => provider.needs_identity_by_phone(),
            "provider_approved" => provider.needs_approval_check(),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_by_channel_and_provider() {
        use crate::domain::provider::{Provider, ProviderKind};
        assert_eq!(
            applicable_checks(false, Provider::Region),
            vec!["register_match", "earlier_cases", "category"]
        );
        let private = |regional_id| Provider::Outside {
            kind: ProviderKind::Private,
            regional_id,
        };
        assert_eq!(applicable_checks(true, private(false)).len(), 7);
        // A private provider whose signers have a regional id: no phone check, still the list.
        let c = applicable_checks(false, private(true));
        assert!(c.contains(&"provider_approved") && !c.contains(&"identity_by_phone"));
        // A municipality without a regional id: the phone check, not the private list.
        let c = applicable_checks(
            false,
            Provider::Outside {
                kind: ProviderKind::Public,
                regional_id: false,
            },
        );
        assert!(c.contains(&"identity_by_phone") && !c.contains(&"provider_approved"));
    }

    #[test]
    fn lists_round_trip() {
        let v = vec!["hot".to_string(), "men".to_string()];
        assert_eq!(split(&join(&v)), v);
        assert!(split("").is_empty());
        assert_eq!(label(SITUATIONS, "threat"), "Hotbild");
        assert!(!is_choice(RISKS, "annat"));
    }
}
