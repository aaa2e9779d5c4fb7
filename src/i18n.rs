//! The message catalog: one Fluent file per language under `locales/` (SPEC: all text from one
//! catalog per language, Swedish by default, English on request). Pages look text up by key
//! through their `Layout` (`{{ l.t("login-title") }}`); the language comes from the user's setting
//! after login and from `Accept-Language` before it.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
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

    /// The code for `<html lang>` and the settings (`users.lang`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The language stored as `code`; Swedish for anything else.
    pub fn from_code(code: &str) -> Lang {
        match code {
            "en" => Lang::En,
            _ => Lang::Sv,
        }
    }

    /// The language named by a form value, if it is one.
    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
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

    /// The text for `key` with its arguments (`{ $name }` in the catalog).
    pub fn t_args(self, key: &str, args: &[(&'static str, Arg)]) -> String {
        if args.is_empty() {
            return self.t(key);
        }
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Arg::Num(n) => FluentValue::from(*n),
                    other => FluentValue::from(self.word(other)),
                };
                (Cow::Borrowed(*k), value)
            })
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// A message stored with `Msg::to_stored` (a timeline entry), worded in this language; None
    /// when the stored value cannot be read.
    pub fn stored(self, json: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        self.stored_msg(&v)
    }

    fn stored_msg(self, v: &serde_json::Value) -> Option<String> {
        if let Some(t) = v.get("t").and_then(|t| t.as_str()) {
            return Some(t.to_string());
        }
        let key = v.get("k")?.as_str()?;
        let mut map: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        for pair in v.get("a")?.as_array()? {
            let name = pair.get(0)?.as_str()?;
            let arg = self.stored_arg(pair.get(1)?)?;
            let value = match arg {
                Arg::Num(n) => FluentValue::from(n),
                other => FluentValue::from(self.word(&other)),
            };
            map.insert(Cow::Owned(name.to_string()), value);
        }
        if map.is_empty() {
            return Some(self.t(key));
        }
        Some(LOCALES.lookup_with_args(self.id(), key, &map))
    }

    fn stored_arg(self, v: &serde_json::Value) -> Option<Arg> {
        let (tag, inner) = v.as_object()?.iter().next()?;
        Some(match tag.as_str() {
            "s" => Arg::Str(inner.as_str()?.to_string()),
            "n" => Arg::Num(inner.as_i64()?),
            "k" => Arg::Key(inner.as_str()?.to_string()),
            "l" => Arg::LowerKey(inner.as_str()?.to_string()),
            "p" => Arg::Parts(
                inner
                    .as_array()?
                    .iter()
                    .map(|x| self.stored_arg(x))
                    .collect::<Option<Vec<_>>>()?,
            ),
            "m" => Arg::Str(self.stored_msg(inner)?),
            _ => return None,
        })
    }

    /// An argument as text in this language.
    fn word(self, arg: &Arg) -> String {
        match arg {
            Arg::Str(s) => s.clone(),
            Arg::Num(n) => n.to_string(),
            Arg::Key(k) => self.t(k),
            Arg::LowerKey(k) => self.t(k).to_lowercase(),
            Arg::Parts(parts) => parts.iter().map(|p| self.word(p)).collect(),
            Arg::Msg(m) => m.in_lang(self),
        }
    }

    /// The text for `key` with one argument (`{ $name }`), for templates.
    pub fn t1(self, key: &str, name: &'static str, value: impl fmt::Display) -> String {
        self.t_args(key, &[(name, Arg::Str(value.to_string()))])
    }

    /// The catalog has a text for `key` (in the fallback language at least).
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(self.id(), key).is_some()
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

/// An argument of a catalog text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Str(String),
    Num(i64),
    /// The text of another catalog key, in the same language (a status named in a refusal).
    Key(String),
    /// The same, in lower case (a step named inside a sentence).
    LowerKey(String),
    /// Pieces worded one by one and joined (a list of recent events).
    Parts(Vec<Arg>),
    /// A whole message (a field's problem quoted in a refusal).
    Msg(Box<Msg>),
}

impl Arg {
    fn stored_value(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Arg::Str(s) => json!({ "s": s }),
            Arg::Num(n) => json!({ "n": n }),
            Arg::Key(k) => json!({ "k": k }),
            Arg::LowerKey(k) => json!({ "l": k }),
            Arg::Parts(p) => json!({ "p": p.iter().map(Arg::stored_value).collect::<Vec<_>>() }),
            Arg::Msg(m) => json!({ "m": m.stored_value() }),
        }
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A catalog key without arguments, as a constant (`messages::REQUIRED`). Copy, so one can be
/// given to several fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub &'static str);

impl fmt::Display for Key {
    /// In Swedish, the default language; pages word it in the reader's (`Layout::tr`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Lang::Sv.t(self.0))
    }
}

/// A message for the user, worded when it is shown, in the reader's language: a catalog key with
/// its arguments. Services, which do not know who will read, return these (in `FieldErrors`, in a
/// typed refusal); the web layer words them with `Layout::tr` or `Msg::in_lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(&'static str, Vec<(&'static str, Arg)>),
    /// A sentence already worded in Swedish by code that does not use the catalog (a few rules
    /// and auditor messages in `messages.rs` still are; a technical cause in the demo seeding).
    /// Shown as it is in every language.
    Text(String),
}

impl Default for Msg {
    /// No message: an empty text.
    fn default() -> Msg {
        Msg::Text(String::new())
    }
}

impl Msg {
    pub fn key(key: &'static str) -> Msg {
        Msg::Key(key, Vec::new())
    }

    /// The message with one more argument.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Msg {
        if let Msg::Key(_, args) = &mut self {
            args.push((name, value.into()));
        }
        self
    }

    /// The message in `lang`.
    pub fn in_lang(&self, lang: Lang) -> String {
        match self {
            Msg::Key(k, args) => lang.t_args(k, args),
            Msg::Text(s) => s.clone(),
        }
    }

    /// The message as stored, to be worded when it is read (`Lang::stored`): JSON with the key
    /// and the arguments (`{"k": key, "a": [[name, arg], …]}`), or the text (`{"t": text}`).
    pub fn to_stored(&self) -> String {
        self.stored_value().to_string()
    }

    fn stored_value(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Msg::Key(k, args) => json!({
                "k": k,
                "a": args
                    .iter()
                    .map(|(name, a)| json!([name, a.stored_value()]))
                    .collect::<Vec<_>>(),
            }),
            Msg::Text(t) => json!({ "t": t }),
        }
    }

    /// The catalog key, when the message has one.
    pub fn key_name(&self) -> Option<&'static str> {
        match self {
            Msg::Key(k, _) => Some(k),
            Msg::Text(_) => None,
        }
    }
}

impl fmt::Display for Msg {
    /// In Swedish, the default language (the intake API, the command line, logs of refusals).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_lang(Lang::Sv))
    }
}

impl From<Key> for Msg {
    fn from(k: Key) -> Msg {
        Msg::key(k.0)
    }
}
impl From<&str> for Msg {
    fn from(s: &str) -> Msg {
        Msg::Text(s.to_string())
    }
}
impl From<String> for Msg {
    fn from(s: String) -> Msg {
        Msg::Text(s)
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
            // A message starts at the beginning of a line with its identifier; comments start
            // with `#`, continuation lines (and a selector's variants) with a space or `}`.
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    fn read_dir_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                read_dir_files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    fn root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// Templates that must take every word from the catalog: all of them, the case pages and
    /// the pager included.
    fn catalogued_templates() -> Vec<(String, String)> {
        let mut files = Vec::new();
        read_dir_files(&root().join("templates"), &mut files);
        let mut out: Vec<(String, String)> = files
            .into_iter()
            .filter_map(|p| {
                let name = p
                    .strip_prefix(root().join("templates"))
                    .ok()?
                    .to_string_lossy()
                    .into_owned();
                Some((name, std::fs::read_to_string(&p).ok()?))
            })
            .collect();
        out.sort();
        out
    }

    /// The string literals in an askama expression or tag.
    fn literals(code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut chars = code.chars();
        while let Some(c) = chars.next() {
            if c == '"' {
                let mut lit = String::new();
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                lit.push(e);
                            }
                        }
                        '"' => break,
                        _ => lit.push(d),
                    }
                }
                out.push(lit);
            }
        }
        out
    }

    /// What a template shows as it is: text outside tags and askama blocks, and the values of
    /// the attributes people read (`title`, `alt`, `placeholder`, `aria-label`); plus the string
    /// literals of its askama blocks (a literal passed to a macro is shown too).
    fn shown_text(source: &str) -> (String, Vec<String>) {
        let mut text = String::new();
        let mut lits = Vec::new();
        let mut rest = source;
        // Askama blocks out, their literals kept aside.
        while let Some(at) = rest.find(['{']) {
            let (before, from) = rest.split_at(at);
            text.push_str(before);
            let close = match &from[..from.len().min(2)] {
                "{{" => "}}",
                "{%" => "%}",
                "{#" => "#}",
                _ => {
                    text.push('{');
                    rest = &from[1..];
                    continue;
                }
            };
            let end = from.find(close).map(|e| e + 2).unwrap_or(from.len());
            if close != "#}" {
                lits.extend(literals(&from[..end]));
            }
            text.push(' ');
            rest = &from[end..];
        }
        text.push_str(rest);
        // Tags out, read attributes kept.
        let mut shown = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find('<') {
            shown.push_str(&rest[..at]);
            let end = rest[at..]
                .find('>')
                .map(|e| at + e + 1)
                .unwrap_or(rest.len());
            let tag = &rest[at..end];
            for attr in ["title=\"", "alt=\"", "placeholder=\"", "aria-label=\""] {
                if let Some(v) = tag.find(attr).map(|i| &tag[i + attr.len()..])
                    && let Some(v) = v.split('"').next()
                {
                    shown.push(' ');
                    shown.push_str(v);
                }
            }
            shown.push(' ');
            rest = &rest[end..];
        }
        shown.push_str(rest);
        (shown, lits)
    }

    /// A template that shows a word not taken from the catalog fails
    /// here: text nodes and read attributes must be `{{ … }}` (or punctuation), and string
    /// literals in askama blocks must look like keys, field names or values (`account-title`,
    /// `hsa_id`, `new-password`), not like prose.
    #[test]
    fn templates_take_their_words_from_the_catalog() {
        let prose = |s: &str| {
            s.split(|c: char| !c.is_alphabetic())
                .any(|w| w.chars().count() >= 2)
        };
        let code_like = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-{}./".contains(c))
        };
        let templates = catalogued_templates();
        // The case pages and the pager are scanned too (no exemption left).
        for must in [
            "cases/view.html",
            "cases/form.html",
            "cases/call.html",
            "pager.html",
        ] {
            assert!(
                templates.iter().any(|(n, _)| n == must),
                "{must} is not scanned"
            );
        }
        let mut found = Vec::new();
        for (name, source) in templates {
            let (shown, lits) = shown_text(&source);
            for line in shown.lines().map(str::trim).filter(|l| prose(l)) {
                found.push(format!("{name}: text {line:?}"));
            }
            for lit in lits.iter().filter(|l| !code_like(l)) {
                found.push(format!("{name}: literal {lit:?}"));
            }
        }
        assert!(
            found.is_empty(),
            "words outside the catalog:\n{}",
            found.join("\n")
        );
        // The scanner sees what it must: a literal word, a literal passed to a macro, a label.
        let (shown, lits) = shown_text(
            "<p>Spara</p>{% call m::field(\"x\", \"Namn\") %}<a title=\"Hem\">{{ l.t(\"k\") }}</a>",
        );
        assert!(prose(&shown) && shown.contains("Spara") && shown.contains("Hem"));
        assert!(lits.iter().any(|l| !code_like(l)));
        assert!(!prose(&shown_text("<p>{{ l.t(\"a-b\") }}: –</p>").0));
    }

    /// Every key the code and the templates name is in the catalog (a typo would show the key).
    #[test]
    fn every_key_used_is_in_the_catalog() {
        let sv = keys("sv");
        let is_key = |k: &str| {
            k.contains('-')
                && !k.ends_with('-')
                && k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        let mut used = BTreeSet::new();
        // Templates: `l.t("…")`, `l.t1("…", …)`, `l.tn("…", …)`.
        for (name, source) in catalogued_templates() {
            for marker in [
                ".t(\"",
                ".t1(\"",
                ".tn(\"",
                ".count(\"",
                ".count_or_more(\"",
            ] {
                for (at, _) in source.match_indices(marker) {
                    if let Some(k) = source[at + marker.len()..].split('"').next() {
                        used.insert((name.clone(), k.to_string()));
                    }
                }
            }
        }
        // Code: `Key("…")`, `Msg::key("…")`, `.t("…")`, `page("…")`, and the literal keys of
        // the menu, the mail and the admin pages.
        let mut files = Vec::new();
        read_dir_files(&root().join("src"), &mut files);
        for p in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        {
            let source = std::fs::read_to_string(p).unwrap_or_default();
            let name = p.to_string_lossy().into_owned();
            for marker in [
                "Key(\"",
                "Msg::key(\"",
                ".t(\"",
                ".t1(\"",
                ".t_args(\"",
                "page(\"",
                "public_in(lang, \"",
            ] {
                for (at, _) in source.match_indices(marker) {
                    if let Some(k) = source[at + marker.len()..].split('"').next()
                        && is_key(k)
                    {
                        used.insert((name.clone(), k.to_string()));
                    }
                }
            }
            for prefix in ["\"nav-", "\"mail-", "\"admin-", "\"error-"] {
                for (at, _) in source.match_indices(prefix) {
                    if let Some(k) = source[at + 1..].split('"').next()
                        && is_key(k)
                    {
                        used.insert((name.clone(), k.to_string()));
                    }
                }
            }
        }
        for r in crate::domain::Role::ALL {
            used.insert(("role_label".into(), format!("role-{}", r.code())));
        }
        assert!(used.len() > 200, "the scan found only {} keys", used.len());
        let missing: Vec<_> = used.iter().filter(|(_, k)| !sv.contains(k)).collect();
        assert!(missing.is_empty(), "keys not in the catalog: {missing:?}");
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

    /// A stored message is worded in the reader's language when read, arguments and nested
    /// keys included; a text stays as it was; a damaged value is not read.
    #[test]
    fn stored_messages_are_worded_when_read() {
        let m = Msg::key("case-msg-changed")
            .arg("status", Arg::Key("case-status-submitted".into()))
            .arg(
                "events",
                Arg::Parts(vec![
                    Arg::Str("2026-11-23 10:00 ".into()),
                    Arg::Msg(Box::new(Msg::key("case-view-number").arg("id", 7_i64))),
                    Arg::Str(" – ".into()),
                    Arg::LowerKey("case-action-sign".into()),
                ]),
            );
        let stored = m.to_stored();
        for l in Lang::ALL {
            assert_eq!(l.stored(&stored), Some(m.in_lang(l)), "{}", l.code());
        }
        let en = Lang::En.stored(&stored).unwrap_or_default();
        assert!(
            en.contains("“Submitted”") && en.contains("case no. 7 – signed the decision"),
            "{en}"
        );
        let text = Msg::from("Fritext").to_stored();
        assert_eq!(Lang::En.stored(&text).as_deref(), Some("Fritext"));
        assert_eq!(Lang::En.stored("{\"k\": 1}"), None);
        assert_eq!(Lang::En.stored("not json"), None);
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
