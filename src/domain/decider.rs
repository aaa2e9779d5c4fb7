//! Who may decide a lock or an unlock (instruction 002 §3.1): legitimerad hälso- och
//! sjukvårdspersonal med behandlingsansvar, verksamhetschef, or medicinskt ansvarig läkare (MAL).
//! A signature in Kontospärr takes its role from the signer's place **in the case's unit**: the
//! unit's manager signs as verksamhetschef, the unit's MAL as MAL, any other decider as licensed
//! staff — a manager of another unit is not "Verksamhetschef" on this case.

/// The decider roles the instruction names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeciderRole {
    Licensed,
    Manager,
    MedicalLead,
}

impl DeciderRole {
    pub const ALL: [DeciderRole; 3] = [
        DeciderRole::Licensed,
        DeciderRole::Manager,
        DeciderRole::MedicalLead,
    ];

    /// The code the API and the paper form's select send.
    pub fn code(self) -> &'static str {
        match self {
            DeciderRole::Licensed => "licensed",
            DeciderRole::Manager => "manager",
            DeciderRole::MedicalLead => "mal",
        }
    }

    /// The role as stored on the case and shown (Swedish, the instruction's words).
    pub fn label(self) -> &'static str {
        match self {
            DeciderRole::Licensed => {
                "Legitimerad hälso- och sjukvårdspersonal med behandlingsansvar"
            }
            DeciderRole::Manager => "Verksamhetschef",
            DeciderRole::MedicalLead => "Medicinskt ansvarig läkare (MAL)",
        }
    }

    /// Reads a role from the API or a form: its code or its label, in any case; "MAL" too.
    pub fn parse(s: &str) -> Option<DeciderRole> {
        let t = s.trim().to_lowercase();
        DeciderRole::ALL
            .into_iter()
            .find(|r| t == r.code() || t == r.label().to_lowercase())
            .or_else(|| match t.as_str() {
                "medicinskt ansvarig läkare" => Some(DeciderRole::MedicalLead),
                // A licensed profession named ("Legitimerad läkare/sjuksköterska/psykolog med
                // behandlingsansvar") is the instruction's first role.
                t if t.starts_with("legitimerad ") && t.ends_with(" med behandlingsansvar") => {
                    Some(DeciderRole::Licensed)
                }
                _ => None,
            })
    }

    /// The role a decider signs in on a case of a unit: the unit's manager as verksamhetschef,
    /// the unit's MAL as MAL, anyone else with the decider flag as licensed staff.
    pub fn on_unit(
        user_id: i64,
        unit_manager: Option<i64>,
        unit_medical_lead: Option<i64>,
    ) -> DeciderRole {
        if unit_manager == Some(user_id) {
            DeciderRole::Manager
        } else if unit_medical_lead == Some(user_id) {
            DeciderRole::MedicalLead
        } else {
            DeciderRole::Licensed
        }
    }
}

/// Who may decide, in one sentence (Swedish), for pages and messages.
pub const WHO_MAY_DECIDE: &str = "Beslut fattas av legitimerad hälso- och sjukvårdspersonal med behandlingsansvar, verksamhetschef eller medicinskt ansvarig läkare (MAL).";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_and_labels_parse() {
        for r in DeciderRole::ALL {
            assert_eq!(DeciderRole::parse(r.code()), Some(r));
            assert_eq!(DeciderRole::parse(r.label()), Some(r));
            assert_eq!(DeciderRole::parse(&r.label().to_uppercase()), Some(r));
        }
        assert_eq!(DeciderRole::parse(" MAL "), Some(DeciderRole::MedicalLead));
        assert_eq!(DeciderRole::parse("Överläkare"), None);
        assert_eq!(
            DeciderRole::parse("Legitimerad läkare med behandlingsansvar"),
            Some(DeciderRole::Licensed)
        );
        assert_eq!(DeciderRole::parse("Legitimerad läkare"), None);
        assert_eq!(DeciderRole::parse("Chef"), None);
        assert_eq!(DeciderRole::parse(""), None);
    }

    proptest! {
        /// The label follows the user's place in the case's unit, never a role elsewhere.
        #[test]
        fn role_on_unit(user in 1i64..6, manager in proptest::option::of(1i64..6),
                        mal in proptest::option::of(1i64..6)) {
            let r = DeciderRole::on_unit(user, manager, mal);
            prop_assert_eq!(r == DeciderRole::Manager, manager == Some(user));
            prop_assert_eq!(r == DeciderRole::MedicalLead, manager != Some(user) && mal == Some(user));
            prop_assert_eq!(r == DeciderRole::Licensed, manager != Some(user) && mal != Some(user));
        }
    }
}
