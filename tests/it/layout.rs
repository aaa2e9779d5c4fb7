//! The crate's modules import no circle (issue 8): read `src/**/*.rs`, resolve every
//! `crate::`/`super::`/`self::` path to the module it names, and find the strongly connected
//! components of the import graph with modules cut to one level (`domain`, `web`, …) and to two
//! (`domain::case`, `web::guard`, …). A component of more than one module is a circle.
//!
//! Resolved as `notes/cycles.py` does: the longest prefix of a path that is a module; a `{…}`
//! group adds each of its simple items; an inline `#[cfg(test)] mod tests { … }` (and everything
//! after it) is left out, a test module of its own file is not; comments count like code (a doc
//! link names a module too); a module's edges to its own parents and children do not count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn no_circle_between_top_level_modules() {
    assert_no_circle(&Graph::of_src(), 1);
}

#[test]
fn no_circle_two_levels_deep() {
    assert_no_circle(&Graph::of_src(), 2);
}

/// The check itself finds a circle, also one through a `{…}` group, `super::` and a doc
/// comment, and leaves out an inline test module.
#[test]
fn the_check_sees_a_circle() {
    let files = [
        ("a/mod.rs", "use crate::b::{Thing, other::Other};\n"),
        (
            "a/x.rs",
            "//! See [`super::super::c`] and `crate::b::other::f`.\n",
        ),
        ("b/mod.rs", "pub mod other;\n"),
        ("b/other.rs", "fn f() { super::super::a::x::g() }\n"),
        (
            "c.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::a::x;\n}\n",
        ),
        ("lib.rs", "pub mod a;\n"),
    ];
    let g = Graph::from_sources(
        files
            .iter()
            .map(|(f, text)| (f.to_string(), text.to_string())),
    );
    assert_eq!(
        circles(&g.cut(1)),
        vec![vec!["a".to_string(), "b".to_string()]]
    );
    assert_eq!(
        circles(&g.cut(2)),
        vec![vec!["a::x".to_string(), "b::other".to_string()]]
    );
    assert!(g.edges["a::x"].contains_key("c"));
    assert!(!g.edges.contains_key("c"), "the inline test module counts");
}

fn assert_no_circle(g: &Graph, level: usize) {
    assert!(
        g.modules.len() > 100 && g.edges.len() > 50,
        "the scan found only {} modules and {} importing modules",
        g.modules.len(),
        g.edges.len()
    );
    let cut = g.cut(level);
    let found = circles(&cut);
    if found.is_empty() {
        return;
    }
    let mut report = String::new();
    for c in &found {
        report.push_str(&format!("\ncircle: {}\n", c.join(", ")));
        for a in c {
            for (b, why) in &cut[a] {
                if c.contains(b) {
                    report.push_str(&format!("    {a} -> {b}   ({why})\n"));
                }
            }
        }
    }
    panic!(
        "{} import circle(s) at level {level} (docs/architecture.md says who may import whom):{report}",
        found.len()
    );
}

/// Module → module it imports → one place that does (`file:line path`).
type Edges = BTreeMap<String, BTreeMap<String, String>>;

struct Graph {
    modules: BTreeSet<String>,
    edges: Edges,
}

impl Graph {
    fn of_src() -> Graph {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![];
        rust_files(&root, &mut files);
        Graph::from_sources(files.into_iter().map(|f| {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{rel}: {e}"));
            (format!("src/{rel}"), text)
        }))
    }

    /// `sources`: (a file's path under `src/`, its text).
    fn from_sources(sources: impl Iterator<Item = (String, String)>) -> Graph {
        let sources: Vec<(String, String, String)> = sources
            .map(|(file, text)| {
                let rel = file.strip_prefix("src/").unwrap_or(&file);
                (module_name(rel), file.clone(), text)
            })
            .collect();
        let modules: BTreeSet<String> = sources.iter().map(|(m, _, _)| m.clone()).collect();
        let mut edges = Edges::new();
        for (m, file, text) in &sources {
            let text = without_inline_tests(text);
            for (at, path) in paths(text) {
                let Some(r) = resolve(&modules, m, &path) else {
                    continue;
                };
                if r != *m && !within(m, &r) && !within(&r, m) {
                    edges
                        .entry(m.clone())
                        .or_default()
                        .entry(r)
                        .or_insert_with(|| {
                            let line = text[..at].bytes().filter(|&b| b == b'\n').count() + 1;
                            format!("{file}:{line} {path}")
                        });
                }
            }
        }
        Graph { modules, edges }
    }

    /// The graph with every module cut to its first `level` names.
    fn cut(&self, level: usize) -> Edges {
        let cut = |m: &str| m.split("::").take(level).collect::<Vec<_>>().join("::");
        let mut g = Edges::new();
        for (a, bs) in &self.edges {
            for (b, why) in bs {
                let (ca, cb) = (cut(a), cut(b));
                if ca != cb && !within(&ca, &cb) && !within(&cb, &ca) {
                    g.entry(ca)
                        .or_default()
                        .entry(cb)
                        .or_insert_with(|| why.clone());
                }
            }
        }
        g
    }
}

/// `inner` is a module inside `outer`.
fn within(inner: &str, outer: &str) -> bool {
    inner.starts_with(&format!("{outer}::"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `web/guard.rs` → `web::guard`; `db/mod.rs` → `db`; `lib.rs` → the crate root, "".
fn module_name(rel: &str) -> String {
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<&str> = rel.split('/').collect();
    if matches!(parts.last(), Some(&("mod" | "lib" | "main"))) {
        parts.pop();
    }
    parts.join("::")
}

/// The text before the first inline `#[cfg(test)] mod tests {`.
fn without_inline_tests(text: &str) -> &str {
    for (at, _) in text.match_indices("#[cfg(test)]") {
        let rest = text[at + "#[cfg(test)]".len()..].trim_start();
        if let Some(rest) = rest.strip_prefix("mod tests")
            && rest.trim_start().starts_with('{')
        {
            return &text[..at];
        }
    }
    text
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every `crate::…`, `super::…` or `self::…` path with its byte offset; a `{…}` group after a
/// path adds the path joined with each simple item of the group (`a::{b, c as d}` → `a`, `a::b`,
/// `a::c`).
fn paths(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let ident_start =
        |i: usize| i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_');
    let ident_char =
        |i: usize| i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_');
    // A path starts with its keyword and `::`: only those places are looked at, in order.
    let mut starts: Vec<(usize, &str)> = ["crate::", "super::", "self::"]
        .into_iter()
        .flat_map(|k| {
            text.match_indices(k)
                .map(move |(i, _)| (i, &k[..k.len() - 2]))
        })
        .collect();
    starts.sort_unstable();
    let mut found = vec![];
    let mut resume = 0;
    for (i, keyword) in starts {
        if i < resume || text[..i].chars().next_back().is_some_and(is_word) {
            continue;
        }
        let mut end = i + keyword.len();
        while text[end..].starts_with("::") && ident_start(end + 2) {
            end += 3;
            while ident_char(end) {
                end += 1;
            }
        }
        if end == i + keyword.len() {
            continue;
        }
        let base = &text[i..end];
        found.push((i, base.to_string()));
        resume = end;
        if text[end..].starts_with("::{") {
            let group = &text[end + 3..];
            if let Some(close) = group
                .find(['}', ';'])
                .filter(|&c| group.as_bytes()[c] == b'}')
            {
                for part in group[..close].split(',') {
                    let part = part.trim();
                    let part = part.split(" as ").next().unwrap_or("").trim();
                    let simple = part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                        && part.chars().all(|c| is_word(c) || c == ':');
                    if simple {
                        found.push((i, format!("{base}::{part}")));
                    }
                }
                resume = end + 3 + close + 1;
            }
        }
    }
    found
}

/// The module a path names from module `current`: the longest prefix of it that is a module.
fn resolve(modules: &BTreeSet<String>, current: &str, path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split("::").collect();
    let (base, rest): (Vec<&str>, &[&str]) = match segs[0] {
        "crate" => (vec![], &segs[1..]),
        "super" => {
            let mut base: Vec<&str> = if current.is_empty() {
                vec![]
            } else {
                current.split("::").collect()
            };
            let mut rest = &segs[..];
            while let Some((&"super", tail)) = rest.split_first() {
                base.pop();
                rest = tail;
            }
            (base, rest)
        }
        "self" => (current.split("::").collect(), &segs[1..]),
        _ => return None,
    };
    for n in (0..=rest.len()).rev() {
        let candidate = base
            .iter()
            .chain(&rest[..n])
            .copied()
            .collect::<Vec<_>>()
            .join("::");
        if modules.contains(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// The strongly connected components of more than one module (Tarjan), each sorted, in order.
fn circles(g: &Edges) -> Vec<Vec<String>> {
    struct Walk<'a> {
        g: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.g.get(v).into_iter().flat_map(|bs| bs.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    self.low.entry(v).and_modify(|l| *l = (*l).min(lw));
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    self.low.entry(v).and_modify(|l| *l = (*l).min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = vec![];
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on_stack: BTreeSet::new(),
        found: vec![],
    };
    for v in g.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}
