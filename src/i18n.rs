//! The message catalog: one Fluent file per language under `locales/` (SPEC: all text from one
//! catalog per language, Swedish by default, English on request). Pages look text up by key
//! through their `Layout` (`{{ l.t("login-title") }}`); the language comes from the user's setting
//! after login and from `Accept-Language` before it.

use fluent_templates::{Loader, static_loader};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "sv",
        // No Unicode isolation marks around arguments: the pages are plain HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static SV: LanguageIdentifier = langid!("sv");
static EN: LanguageIdentifier = langid!("en");

/// A language of the user interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    /// The code for `<html lang>` and the settings.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Sv => &SV,
            Lang::En => &EN,
        }
    }

    /// The text for `key` in this language (the Swedish text when a translation is missing, and
    /// the key itself when both are — the catalog test keeps that from happening).
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The language a visitor's browser asks for: the first supported one by quality, Swedish
    /// when none is.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut wanted: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim().to_ascii_lowercase();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next().unwrap_or("");
                let lang = match primary {
                    "sv" => Lang::Sv,
                    "en" => Lang::En,
                    _ => return None,
                };
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted.first().map(|(_, l)| *l).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let path = format!(
            "{}/locales/{lang}/kontosparr.ftl",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .filter_map(|l| l.split(" = ").next().map(str::to_string))
            .collect()
    }

    #[test]
    fn both_catalogs_hold_the_same_keys() {
        let (sv, en) = (keys("sv"), keys("en"));
        assert!(!sv.is_empty());
        let only_sv: Vec<_> = sv.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&sv).collect();
        assert!(
            only_sv.is_empty() && only_en.is_empty(),
            "only in sv: {only_sv:?}; only in en: {only_en:?}"
        );
        for k in &sv {
            for l in Lang::ALL {
                assert_ne!(l.t(k), *k, "{k} has no text in {}", l.code());
            }
        }
    }

    #[test]
    fn accept_language_picks_by_quality() {
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("sv-SE,sv;q=0.9,en;q=0.8"),
            Lang::Sv
        );
        assert_eq!(Lang::from_accept_language("de,en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.2,sv;q=0.8"), Lang::Sv);
        assert_eq!(Lang::from_accept_language("de, fr"), Lang::Sv);
        assert_eq!(Lang::from_accept_language(""), Lang::Sv);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Sv);
        assert_eq!(Lang::t(Lang::En, "login-title"), "Log in");
        assert_eq!(Lang::t(Lang::Sv, "login-title"), "Logga in");
    }
}
