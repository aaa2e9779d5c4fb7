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

/// The catalogs' sources, for the ids of their messages ([`PLAIN`]).
const SOURCES: [&str; 2] = [
    include_str!("../locales/sv/kontosparr.ftl"),
    include_str!("../locales/en/kontosparr.ftl"),
];

/// Each language's texts that take no arguments, worded by Fluent once, at first use: a page
/// looks up a text for every label it shows (a list, several for each row), and Fluent resolves
/// a message anew on each lookup (bench/http, `perf`: about a twentieth of the server's CPU on a
/// case view and on a case list). Kept is exactly what Fluent gives without arguments, the
/// fallback to Swedish included; a message that needs an argument gives nothing without one
/// (Fluent reports the missing variable), so it is not kept and is worded per call.
static PLAIN: std::sync::LazyLock<[HashMap<&'static str, String>; 2]> =
    std::sync::LazyLock::new(|| {
        let worded = |lang: Lang| {
            SOURCES
                .iter()
                .flat_map(|source| message_ids(source))
                .filter_map(|id| Some((id, LOCALES.try_lookup(lang.id(), id)?)))
                .collect()
        };
        [worded(Lang::Sv), worded(Lang::En)]
    });

/// A Fluent source's message ids: a message starts at a line's first column with `id =` (its
/// value and attributes go on in indented lines; comments start with `#`, terms with `-`).
fn message_ids(source: &'static str) -> impl Iterator<Item = &'static str> {
    source.lines().filter_map(|line| {
        let (id, _) = line.split_once('=')?;
        let id = id.trim_end();
        (id.starts_with(|c: char| c.is_ascii_alphabetic())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .then_some(id)
    })
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
    /// Fluent's "Unknown localization key" when both are — the catalog test keeps that from
    /// happening).
    pub fn t(self, key: &str) -> String {
        self.text(key).into_owned()
    }

    /// [`Lang::t`] without a copy: a text that takes no arguments is worded once per process
    /// ([`PLAIN`]) and lent from there; any other key is worded by Fluent as before.
    pub fn text(self, key: &str) -> Cow<'static, str> {
        match PLAIN[self.index()].get(key) {
            Some(text) => Cow::Borrowed(text.as_str()),
            None => Cow::Owned(LOCALES.lookup(self.id(), key)),
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::Sv => 0,
            Lang::En => 1,
        }
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

    /// A stored message worded only if the catalog has its key and every argument its text
    /// names (`Lang::stored` words whatever it can); None otherwise.
    pub fn stored_known(self, json: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        if let Some(t) = v.get("t").and_then(|t| t.as_str()) {
            return Some(t.to_string());
        }
        let (key, map) = self.stored_key_args(&v)?;
        let args = (!map.is_empty()).then_some(&map);
        LOCALES.try_lookup_complete(self.id(), key, args)
    }

    fn stored_msg(self, v: &serde_json::Value) -> Option<String> {
        if let Some(t) = v.get("t").and_then(|t| t.as_str()) {
            return Some(t.to_string());
        }
        let (key, map) = self.stored_key_args(v)?;
        if map.is_empty() {
            return Some(self.t(key));
        }
        Some(LOCALES.lookup_with_args(self.id(), key, &map))
    }

    /// A stored message's key and its arguments, worded in this language.
    fn stored_key_args(
        self,
        v: &serde_json::Value,
    ) -> Option<(&str, HashMap<Cow<'static, str>, FluentValue<'static>>)> {
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
        Some((key, map))
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

/// What an access-log detail written as a message starts with (`Msg::to_log_detail`); the stored
/// message (`Msg::to_stored`) follows.
pub const LOG_MSG_PREFIX: &str = "msg:";

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

    /// The message as an access-log entry's `detail` stores it, to be worded when an auditor
    /// reads it (`messages::log::log_detail`): a catalog message as [`LOG_MSG_PREFIX`] and its stored form
    /// (`msg:{"k":"log-list-cases","a":[["n",{"n":3}]]}`); a text (a code, an id) as it is.
    /// Language-neutral, and still one hashed text field.
    pub fn to_log_detail(&self) -> String {
        match self {
            Msg::Key(..) => format!("{LOG_MSG_PREFIX}{}", self.to_stored()),
            Msg::Text(t) => t.clone(),
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
mod tests;
