//! The catalog's tests: both languages hold the same keys, every key used exists, templates
//! take their words from the catalog, stored messages read back.
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

/// A text without arguments is worded once and lent from then on, as Fluent words it; a text
/// that takes arguments is never kept (it would be kept with its placeholders) and is worded
/// with the arguments of each call.
#[test]
fn plain_texts_are_worded_once_as_fluent_words_them() {
    for l in Lang::ALL {
        let kept = &PLAIN[l.index()];
        let all = keys(l.code());
        assert!(
            kept.len() * 10 > all.len() * 8,
            "{}: {} of {}",
            l.code(),
            kept.len(),
            all.len()
        );
        for (key, text) in kept {
            assert!(all.contains(*key), "{key}");
            assert_eq!(*text, LOCALES.lookup(l.id(), key), "{key}");
            assert!(!text.contains('{'), "{key}: {text}");
        }
        assert!(matches!(l.text("nav-cases"), Cow::Borrowed(_)));
        assert!(!kept.contains_key("list-count-more-than"));
        // A selector on a variable, over several lines.
        assert!(!kept.contains_key("stats-summary-inexact"), "{}", l.code());
    }
    assert_eq!(Lang::Sv.text("nav-cases"), "Ärenden");
    assert_eq!(Lang::En.text("nav-cases"), "Cases");
    assert_eq!(
        Lang::Sv.t_args("list-count-more-than", &[("n", Arg::Num(5))]),
        "Fler än 5."
    );
    // A key the catalog lacks is worded by Fluent, as before.
    assert_eq!(
        Lang::Sv.text("no-such-key"),
        LOCALES.lookup(Lang::Sv.id(), "no-such-key")
    );
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
