//! Checklist item 2 (instruction 002 §6, "Vid pappersblankett" 3): does the name on the form
//! match the population register's name for the personnummer? The system compares; the handler
//! confirms what the system cannot decide.
//!
//! * **Exact** — the same words in the same order, letter for letter (spaces between words
//!   do not count). The item can be ticked as it is.
//! * **Close** — the same person written differently: upper/lower case, diacritics (é/e, ü/u,
//!   å/a …), hyphens or extra spaces, or a missing or extra *middle* name (the first and the last
//!   name agree). The page shows the difference; the handler confirms with a note.
//! * **Different** — anything else (another first or last name). The handler either returns the
//!   case or writes in the note why the number is still right (a change of name, say).
//! * **Not in the register** — the handler records in the note why the check is done anyway.
//!
//! Only an exact match may be ticked without a note.

/// How the form's name compares with the register's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    Exact,
    /// The same person written differently; each entry says how (`messages::name_difference`).
    Close(Vec<Difference>),
    Different,
    NotInRegister,
}

/// One way two close names differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Upper or lower case.
    Case,
    /// Accents and other diacritics (é/e, ü/u, å/a).
    Diacritics,
    /// Hyphens between the parts of a name.
    Hyphens,
    /// Middle names on the register but not on the form.
    MissingMiddleNames(Vec<String>),
    /// Middle names on the form but not on the register.
    ExtraMiddleNames(Vec<String>),
}

impl NameMatch {
    /// The check may be ticked without a note only on an exact match.
    pub fn needs_note(&self) -> bool {
        !matches!(self, NameMatch::Exact)
    }
}

/// The words of a name: split on white space; each word keeps its hyphens.
fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// A letter without its diacritics (the Latin letters Swedish names use).
fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' | 'ā' => 'a',
        'Á' | 'À' | 'Â' | 'Ä' | 'Å' | 'Ã' | 'Ā' => 'A',
        'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' | 'Ē' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ø' | 'Ō' => 'O',
        'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' | 'Ū' => 'U',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ç' | 'č' => 'c',
        'Ç' | 'Č' => 'C',
        'š' => 's',
        'Š' => 'S',
        'ž' => 'z',
        'Ž' => 'Z',
        c => c,
    }
}

fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// The key two close names share: the words, hyphens as spaces, without diacritics, lower case.
fn key(s: &str) -> Vec<String> {
    fold(&s.replace('-', " "))
        .to_lowercase()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// How two spellings of the same words differ (case, diacritics, hyphens).
fn spelling(form: &[&str], reg: &[&str]) -> Vec<Difference> {
    let (f, r) = (form.join(" "), reg.join(" "));
    let (fs, rs) = (f.replace('-', " "), r.replace('-', " "));
    let mut out = Vec::new();
    if fold(&fs) != fold(&rs) && fold(&fs).to_lowercase() == fold(&rs).to_lowercase() {
        out.push(Difference::Case);
    }
    if fs.to_lowercase() != rs.to_lowercase() {
        out.push(Difference::Diacritics);
    }
    if f.matches('-').count() != r.matches('-').count() {
        out.push(Difference::Hyphens);
    }
    out
}

/// Compares the name on the form with the register's (`None`: not in the register).
pub fn compare(form: &str, register: Option<&str>) -> NameMatch {
    let Some(reg) = register else {
        return NameMatch::NotInRegister;
    };
    let (f, r) = (words(form), words(reg));
    if f == r && !f.is_empty() {
        return NameMatch::Exact;
    }
    let (kf, kr) = (key(form), key(reg));
    if kf.is_empty() || kr.is_empty() {
        return NameMatch::Different;
    }
    if kf == kr {
        let d = spelling(&f, &r);
        // Only spaces moved inside a hyphenated name ("Anna-Lena" / "Anna - Lena").
        return NameMatch::Close(if d.is_empty() {
            vec![Difference::Hyphens]
        } else {
            d
        });
    }
    // Middle names: at least two words each, first and last agree, and the shorter name's
    // words come in order in the longer one.
    if kf.len() >= 2 && kr.len() >= 2 && kf.first() == kr.first() && kf.last() == kr.last() {
        let missing = kf.len() < kr.len();
        let (short, long) = if missing { (&kf, &kr) } else { (&kr, &kf) };
        if let Some(extra) = extra_words(short, long) {
            // Name the middle names as written where they come from.
            let src = if missing { &r } else { &f };
            let named: Vec<String> = src
                .iter()
                .filter(|w| key(w).iter().any(|k| extra.contains(k)))
                .map(|w| w.to_string())
                .collect();
            let shared = |v: &[&str]| -> Vec<String> {
                v.iter()
                    .filter(|w| !key(w).iter().any(|k| extra.contains(k)))
                    .map(|w| w.to_string())
                    .collect()
            };
            let (sf, sr) = (shared(&f), shared(&r));
            let (sf, sr): (Vec<&str>, Vec<&str>) = (
                sf.iter().map(String::as_str).collect(),
                sr.iter().map(String::as_str).collect(),
            );
            let mut out = spelling(&sf, &sr);
            out.push(if missing {
                Difference::MissingMiddleNames(named)
            } else {
                Difference::ExtraMiddleNames(named)
            });
            return NameMatch::Close(out);
        }
    }
    NameMatch::Different
}

/// The words of `long` that are not in `short`, when `short` is a subsequence of `long`.
fn extra_words(short: &[String], long: &[String]) -> Option<Vec<String>> {
    let mut extra = Vec::new();
    let mut i = 0;
    for w in long {
        if i < short.len() && short[i] == *w {
            i += 1;
        } else {
            extra.push(w.clone());
        }
    }
    (i == short.len() && !extra.is_empty()).then_some(extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(
            compare("Tolvan Tolvansson", Some("Tolvan Tolvansson")),
            NameMatch::Exact
        );
        assert_eq!(
            compare(" Tolvan  Tolvansson ", Some("Tolvan Tolvansson")),
            NameMatch::Exact
        );
        assert_eq!(
            compare("tolvan tolvansson", Some("Tolvan Tolvansson")),
            NameMatch::Close(vec![Difference::Case])
        );
        assert_eq!(
            compare("Rene Ostlund", Some("René Östlund")),
            NameMatch::Close(vec![Difference::Diacritics])
        );
        assert_eq!(
            compare("Anna Lena Ek", Some("Anna-Lena Ek")),
            NameMatch::Close(vec![Difference::Hyphens])
        );
        assert_eq!(
            compare("Tolvan Tolvansson", Some("Tolvan Mellan Tolvansson")),
            NameMatch::Close(vec![Difference::MissingMiddleNames(vec!["Mellan".into()])])
        );
        assert_eq!(
            compare("Tolvan Extra Tolvansson", Some("Tolvan Tolvansson")),
            NameMatch::Close(vec![Difference::ExtraMiddleNames(vec!["Extra".into()])])
        );
        assert_eq!(
            compare("Elva Elvasson", Some("Tolvan Tolvansson")),
            NameMatch::Different
        );
        assert_eq!(
            compare("Tolvan", Some("Tolvan Tolvansson")),
            NameMatch::Different
        );
        assert_eq!(compare("", Some("Tolvan Tolvansson")), NameMatch::Different);
        assert_eq!(compare("Tolvan Tolvansson", None), NameMatch::NotInRegister);
        assert!(!compare("A B", Some("A B")).needs_note());
        assert!(compare("a b", Some("A B")).needs_note());
        assert!(compare("A B", None).needs_note());
    }

    proptest! {
        /// A name always matches itself exactly, and only an identical word sequence does.
        #[test]
        fn exact_is_identity(a in "[A-Za-zåäöÅÄÖé]{1,8}( [A-Za-zåäöÅÄÖé]{1,8}){0,3}",
                             b in "[A-Za-zåäöÅÄÖé]{1,8}( [A-Za-zåäöÅÄÖé]{1,8}){0,3}") {
            prop_assert_eq!(compare(&a, Some(&a)), NameMatch::Exact);
            prop_assert_eq!(compare(&a, Some(&b)) == NameMatch::Exact, a == b);
        }

        /// Changing only case or diacritics is close, never exact and never different.
        #[test]
        fn case_and_marks_are_close(a in "[a-zåäöé]{2,8} [a-zåäöé]{2,8}") {
            let upper = a.to_uppercase();
            prop_assert!(matches!(compare(&upper, Some(&a)), NameMatch::Close(_)));
            let folded = fold(&a);
            if folded != a {
                prop_assert!(matches!(compare(&folded, Some(&a)), NameMatch::Close(_)));
            }
        }

        /// A missing middle name is close; a different last name is not.
        #[test]
        fn middle_names(first in "[A-Z][a-z]{2,6}", mid in "[A-Z][a-z]{2,6}",
                        last in "[A-Z][a-z]{2,6}", other in "[A-Z][a-z]{2,6}") {
            let full = format!("{first} {mid} {last}");
            let short = format!("{first} {last}");
            prop_assert!(matches!(compare(&short, Some(&full)), NameMatch::Close(_)));
            prop_assume!(other.to_lowercase() != last.to_lowercase()
                && other.to_lowercase() != mid.to_lowercase());
            prop_assert_eq!(compare(&format!("{first} {other}"), Some(&full)), NameMatch::Different);
        }

        #[test]
        fn never_panics(a in "\\PC{0,30}", b in "\\PC{0,30}") {
            let _ = compare(&a, Some(&b));
        }
    }
}
