//! The case pages' terms in the reader's language. The domain keeps its Swedish labels (the API,
//! the exports, the stored timeline and the diary use them); the pages look the same codes up
//! in the catalog (`case-status-<code>` …). A test keeps the Swedish catalog word for word equal
//! to the domain's labels, so a Swedish reader sees exactly what was there before.

use crate::domain::case::{Channel, Kind, Status};
use crate::domain::decider::DeciderRole;
use crate::domain::grounds;
use crate::domain::provider::ProviderKind;
use crate::i18n::Lang;

pub fn status(lang: Lang, s: Status) -> String {
    lang.t(&format!("case-status-{}", s.code()))
}

pub fn kind(lang: Lang, k: Kind) -> String {
    lang.t(&format!("case-kind-{}", k.code()))
}

pub fn channel(lang: Lang, c: Channel) -> String {
    lang.t(&format!("case-channel-{}", c.code()))
}

/// A choice of the case form (`domain::grounds`) by its code; empty for an unknown code.
pub fn ground(lang: Lang, code: &str) -> String {
    let key = format!("case-ground-{code}");
    if code.is_empty() || !lang.has(&key) {
        return String::new();
    }
    lang.t(&key)
}

/// The stored codes of a multiple choice, as words.
pub fn grounds(lang: Lang, stored: &str) -> Vec<String> {
    grounds::split(stored)
        .iter()
        .map(|c| ground(lang, c))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The choices of a group in the form, with the chosen ones checked.
pub fn choices(lang: Lang, choices: grounds::Choices, selected: &[String]) -> Vec<super::Choice> {
    choices
        .iter()
        .map(|(c, _)| super::Choice {
            value: (*c).into(),
            label: ground(lang, c),
            checked: selected.iter().any(|s| s == c),
        })
        .collect()
}

/// A checklist item's text, without its catalogue number.
pub fn check(lang: Lang, code: &str) -> String {
    lang.t(&format!("case-check-{code}"))
}

pub fn decider(lang: Lang, r: DeciderRole) -> String {
    lang.t(&format!("case-decider-{}", r.code()))
}

/// A decider role as stored on a case: one of the instruction's roles by its Swedish label (as
/// the system stores it), or the words a paper form or the API gave, shown as they are.
pub fn stored_decider(lang: Lang, stored: &str) -> String {
    DeciderRole::ALL
        .into_iter()
        .find(|r| r.label() == stored)
        .map(|r| decider(lang, r))
        .unwrap_or_else(|| stored.to_string())
}

pub fn provider_kind(lang: Lang, k: ProviderKind) -> String {
    lang.t(&format!("case-provider-{}", k.code()))
}

/// A case's diary number, or its number ("ärende nr 12").
pub fn case_label(lang: Lang, diary: Option<&str>, id: i64) -> String {
    match diary {
        Some(d) => d.to_string(),
        None => lang.t1("case-view-number", "id", id),
    }
}

/// A checklist item's note as stored: the system's own words first (what the register check
/// found, the arrival stamp) in the reader's language, then the handler's note as written.
pub fn check_note(lang: Lang, stored: &str) -> String {
    use crate::domain::names::NameMatch;
    for m in [
        NameMatch::Exact,
        NameMatch::Close(vec![]),
        NameMatch::Different,
        NameMatch::NotInRegister,
    ] {
        let key = crate::messages::name_found(&m);
        let sv = Lang::Sv.t(key.0);
        if stored == sv {
            return lang.t(key.0);
        }
        if let Some(rest) = stored.strip_prefix(&format!("{sv}; ")) {
            return format!("{}; {rest}", lang.t(key.0));
        }
    }
    if let Some(date) = stored.strip_prefix("Ankomststämplad ") {
        return lang.t1("case-check-note-arrival", "date", date);
    }
    stored.to_string()
}

/// A stored timeline text (what happened, a fixed detail, the system as the actor) in `lang`:
/// by the catalog when the system wrote it (`messages::timeline_key`), otherwise as stored
/// (people's names, notes, numbers, an older wording).
pub fn timeline(lang: Lang, stored: &str) -> String {
    crate::messages::timeline_key(stored).map_or_else(|| stored.to_string(), |k| lang.t(&k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::Action;
    use crate::domain::grounds::{BASIS, CHECKS, NOT_INFORMED, REQUESTED_BY, RISKS, SITUATIONS};

    /// Every term in Swedish is the domain's label word for word, and English has its own.
    fn same_in_swedish(key: &str, swedish: &str) {
        assert!(Lang::Sv.has(key), "{key} missing");
        assert_eq!(Lang::Sv.t(key), swedish, "{key}");
        assert_ne!(Lang::En.t(key), swedish, "{key} is not translated");
    }

    #[test]
    fn swedish_terms_are_the_domains_labels() {
        for s in Status::ALL {
            same_in_swedish(&format!("case-status-{}", s.code()), s.label());
        }
        for k in [Kind::Lock, Kind::Unlock] {
            same_in_swedish(&format!("case-kind-{}", k.code()), k.label());
        }
        for c in Channel::ALL {
            if c != Channel::Eservice {
                same_in_swedish(&format!("case-channel-{}", c.code()), c.label());
            }
        }
        for a in Action::ALL {
            same_in_swedish(&format!("case-action-{}", a.code()), a.label());
        }
        for choices in [RISKS, BASIS, SITUATIONS, NOT_INFORMED, REQUESTED_BY] {
            for (code, label) in choices {
                same_in_swedish(&format!("case-ground-{code}"), label);
            }
        }
        for (code, label) in CHECKS {
            let text = label.split_once(". ").map_or(*label, |(_, t)| t);
            same_in_swedish(&format!("case-check-{code}"), text);
        }
        for r in DeciderRole::ALL {
            same_in_swedish(&format!("case-decider-{}", r.code()), r.label());
        }
        for k in ProviderKind::ALL {
            same_in_swedish(&format!("case-provider-{}", k.code()), k.label());
        }
        for (key, sv) in crate::messages::TIMELINE {
            same_in_swedish(key, sv);
        }
    }

    #[test]
    fn stored_texts_are_read_in_the_readers_language() {
        assert_eq!(
            timeline(Lang::En, Action::Sign.label()),
            "Signed the decision"
        );
        assert_eq!(
            timeline(Lang::En, "Registrerade diarienummer"),
            "Registered the registration number"
        );
        assert_eq!(
            timeline(Lang::Sv, "Registrerade diarienummer"),
            "Registrerade diarienummer"
        );
        // An older wording, not in the table: shown as stored.
        assert_eq!(timeline(Lang::En, "Något annat"), "Något annat");
        assert_eq!(
            stored_decider(Lang::En, DeciderRole::Manager.label()),
            "Head of unit"
        );
        assert_eq!(
            stored_decider(Lang::En, "Legitimerad läkare"),
            "Legitimerad läkare"
        );
        assert_eq!(grounds(Lang::En, "hot,okand"), vec!["Threat".to_string()]);
        assert_eq!(timeline(Lang::En, "Folkbokföringen"), "Population register");
        assert_eq!(
            check_note(Lang::En, "Namnet stämmer med folkbokföringen; samma person"),
            "The name matches the population register; samma person"
        );
        assert_eq!(
            check_note(Lang::En, "Ankomststämplad 2026-11-20"),
            "Arrival stamped 2026-11-20"
        );
        assert_eq!(
            check_note(Lang::Sv, "Ankomststämplad 2026-11-20"),
            "Ankomststämplad 2026-11-20"
        );
        assert_eq!(check_note(Lang::En, "Ringde Anna"), "Ringde Anna");
        assert_eq!(timeline(Lang::En, "Anna Andersson"), "Anna Andersson");
    }
}
