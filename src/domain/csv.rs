//! CSV that Swedish Excel opens as it is: UTF-8 with a byte-order mark, `;` between fields, CRLF
//! after each record, every field quoted. A field that a spreadsheet would take for a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets an apostrophe in front, so
//! that a value written into the log by someone else cannot run in the auditor's spreadsheet.

/// The byte-order mark that tells Excel the file is UTF-8.
pub const BOM: &str = "\u{feff}";

/// One field, quoted, with quotes doubled and a formula defused.
pub fn cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

/// One record: the fields joined by `;`, ended by CRLF.
pub fn record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| cell(f.as_ref()))
        .collect::<Vec<_>>()
        .join(";");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(cell("abc"), "\"abc\"");
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(cell("+46"), "\"'+46\"");
        assert_eq!(cell("-1"), "\"'-1\"");
        assert_eq!(cell("@x"), "\"'@x\"");
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(record(&["a", "b"]), "\"a\";\"b\"\r\n");
    }

    /// Reads one record back as a spreadsheet would (quoted fields, `;`).
    fn parse(line: &str) -> Vec<String> {
        let body = line.strip_suffix("\r\n").unwrap_or(line);
        let mut out = vec![];
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (';', false) => out.push(std::mem::take(&mut cur)),
                (c, _) => cur.push(c),
            }
        }
        out.push(cur);
        out
    }

    proptest! {
        /// Whatever the values, the record reads back as the same fields (a defused one with its
        /// apostrophe), and no field starts with a formula character.
        #[test]
        fn records_round_trip_and_never_start_a_formula(
            values in proptest::collection::vec(".{0,12}", 1..6)
        ) {
            let line = record(&values);
            prop_assert!(line.ends_with("\r\n"));
            let back = parse(&line);
            prop_assert_eq!(back.len(), values.len());
            for (b, v) in back.iter().zip(&values) {
                prop_assert!(!b.starts_with(['=', '+', '-', '@', '\t', '\r']));
                let original = if b.len() > v.len() { &b[1..] } else { b.as_str() };
                prop_assert_eq!(original, v.as_str());
            }
        }
    }
}
