//! The access log's hash chain (SPEC §4): each entry's hash covers its own fields, its place in
//! the chain (`seal_seq`) and the hash of the entry sealed before it, so that an edited, inserted,
//! removed or re-ordered row breaks the chain. Checkpoints sign the head with a key kept outside
//! the database, so that a cut tail is noticed too.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one access-log entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields<'a> {
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_hsa_id: Option<&'a str>,
    pub role: Option<&'a str>,
    pub unit_code: Option<&'a str>,
    pub action: &'a str,
    pub object: Option<&'a str>,
    pub personnummer: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Formats a timestamp the way the hash sees it (UTC, microseconds).
pub fn format_time(at: &NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The hash of a row chained before sealing existed (rows up to the head's `legacy_seq`): SHA-256
/// over the previous hash and every field, each length-prefixed so that no two different entries
/// serialise alike. Such rows were chained in id order, and the id is in the hash.
pub fn entry_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    chain_hash(prev_hash, None, e)
}

/// The hash the sealer gives a row: as [`entry_hash`], with the row's `seal_seq` as well.
pub fn sealed_hash(prev_hash: &str, seal_seq: i64, e: &EntryFields<'_>) -> String {
    chain_hash(prev_hash, Some(seal_seq), e)
}

/// The hash of the row at `seal_seq`, by the formula that applies there.
pub fn row_hash(prev_hash: &str, seal_seq: i64, legacy_seq: i64, e: &EntryFields<'_>) -> String {
    if seal_seq <= legacy_seq {
        entry_hash(prev_hash, e)
    } else {
        sealed_hash(prev_hash, seal_seq, e)
    }
}

fn chain_hash(prev_hash: &str, seal_seq: Option<i64>, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |tag: &str, v: Option<&str>| {
        h.update(tag.as_bytes());
        match v {
            None => h.update(b"~"),
            Some(v) => {
                h.update(v.len().to_string().as_bytes());
                h.update(b":");
                h.update(v.as_bytes());
            }
        }
        h.update(b"\n");
    };
    put("prev", Some(prev_hash));
    if let Some(seq) = seal_seq {
        put("seq", Some(&seq.to_string()));
    }
    put("id", Some(&e.id.to_string()));
    put("at", Some(&format_time(&e.at)));
    put("user", e.user_hsa_id);
    put("role", e.role);
    put("unit", e.unit_code);
    put("action", Some(e.action));
    put("object", e.object);
    put("pnr", e.personnummer);
    put("client", e.client_addr);
    put("detail", e.detail);
    hex::encode(h.finalize())
}

/// The marker before a subject digest in an entry's `detail`.
pub const SUBJECTS_MARK: &str = "subjects-sha256=";

/// The subjects of an entry as stored: sorted, each once.
pub fn subject_set<'a>(subjects: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = subjects.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// SHA-256 over a sorted, de-duplicated subject list (each personnummer and a newline), hex.
pub fn subjects_digest(sorted: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in sorted {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The word after the number of citizens in a list entry's stored `detail`. Stored in Swedish on
/// every row, old and new (the tail's form is fixed); a reader sees it in their language
/// (`Lang::log_detail`, which finds it with [`split_subjects`]).
const SUBJECTS_WORD: &str = " invånare; ";

/// The detail a list entry is stored with: what the caller wrote, how many citizens it names and
/// the digest of their personnummer, so that the hash chain covers the subject rows.
pub fn detail_with_subjects(detail: Option<&str>, sorted: &[&str]) -> String {
    let tail = format!(
        "{}{SUBJECTS_WORD}{SUBJECTS_MARK}{}",
        sorted.len(),
        subjects_digest(sorted)
    );
    match detail {
        Some(d) if !d.is_empty() => format!("{d}; {tail}"),
        _ => tail,
    }
}

/// The subject digest a stored detail carries, if any.
pub fn digest_in(detail: &str) -> Option<&str> {
    let at = detail.rfind(SUBJECTS_MARK)? + SUBJECTS_MARK.len();
    detail.get(at..at + 64)
}

/// A stored detail taken apart at the tail [`detail_with_subjects`] wrote: what the caller wrote
/// (empty when nothing), and the number of citizens and their digest. A detail without that exact
/// tail at its end comes back whole, with `None`.
pub fn split_subjects(detail: &str) -> (&str, Option<(i64, &str)>) {
    let whole = (detail, None);
    let Some(at) = detail.rfind(SUBJECTS_MARK) else {
        return whole;
    };
    let digest = &detail[at + SUBJECTS_MARK.len()..];
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return whole;
    }
    let Some(before) = detail[..at].strip_suffix(SUBJECTS_WORD) else {
        return whole;
    };
    let (head, count) = before.rsplit_once("; ").unwrap_or(("", before));
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return whole;
    }
    match count.parse::<i64>() {
        Ok(n) => (head, Some((n, digest))),
        Err(_) => whole,
    }
}

/// What a checkpoint signs: the chain's length and head hash at a time.
pub fn checkpoint_message(seal_seq: i64, head_hash: &str, at: &NaiveDateTime) -> String {
    format!(
        "kontosparr-access-log-checkpoint-v1\n{seal_seq}\n{head_hash}\n{}",
        format_time(at)
    )
}

/// HMAC-SHA256 of a checkpoint under the audit key, hex.
pub fn checkpoint_mac(key: &[u8], message: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC takes a key of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a checkpoint's MAC in constant time.
pub fn checkpoint_mac_ok(key: &[u8], message: &str, mac_hex: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(tag) = hex::decode(mac_hex) else {
        return false;
    };
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(message.as_bytes());
            m.verify_slice(&tag).is_ok()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(action: &str) -> EntryFields<'_> {
        EntryFields {
            id: 1,
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default(),
            user_hsa_id: Some("SE2321000131-P1"),
            role: Some("admin"),
            unit_code: None,
            action,
            object: None,
            personnummer: None,
            client_addr: Some("127.0.0.1"),
            detail: None,
        }
    }

    #[test]
    fn every_field_counts() {
        let base = entry_hash(GENESIS, &fields("login"));
        assert_eq!(base.len(), 64);
        assert_ne!(base, entry_hash(GENESIS, &fields("logout")));
        assert_ne!(base, entry_hash(&base, &fields("login")));
        let mut f = fields("login");
        f.unit_code = Some("");
        assert_ne!(base, entry_hash(GENESIS, &f), "empty and missing differ");
        let mut f = fields("login");
        f.id = 2;
        assert_ne!(base, entry_hash(GENESIS, &f));
        let mut f = fields("login");
        f.role = Some("adminS");
        f.unit_code = None;
        let mut g = fields("login");
        g.role = Some("admin");
        g.unit_code = Some("S");
        assert_ne!(entry_hash(GENESIS, &f), entry_hash(GENESIS, &g));
    }

    #[test]
    fn the_seal_seq_counts_and_legacy_rows_keep_their_formula() {
        let f = fields("login");
        assert_ne!(sealed_hash(GENESIS, 1, &f), sealed_hash(GENESIS, 2, &f));
        assert_ne!(sealed_hash(GENESIS, 1, &f), entry_hash(GENESIS, &f));
        assert_eq!(row_hash(GENESIS, 1, 1, &f), entry_hash(GENESIS, &f));
        assert_eq!(row_hash(GENESIS, 2, 1, &f), sealed_hash(GENESIS, 2, &f));
    }

    #[test]
    fn subject_digests_ignore_order_and_repeats() {
        let a = subject_set(["191212121212", "190101010101", "191212121212"]);
        assert_eq!(a, vec!["190101010101", "191212121212"]);
        let b = subject_set(["190101010101", "191212121212"]);
        assert_eq!(subjects_digest(&a), subjects_digest(&b));
        assert_ne!(subjects_digest(&a), subjects_digest(&a[..1]));
        let d = detail_with_subjects(Some("sida 1"), &a);
        assert!(d.starts_with("sida 1; 2 invånare; subjects-sha256="), "{d}");
        assert_eq!(digest_in(&d), Some(subjects_digest(&a).as_str()));
        assert_eq!(digest_in("3 ärenden"), None);
        assert!(detail_with_subjects(None, &[]).starts_with("0 invånare; "));
    }

    #[test]
    fn a_stored_detail_splits_at_its_subjects_tail() {
        let a = subject_set(["191212121212", "190101010101"]);
        let digest = subjects_digest(&a);
        let d = detail_with_subjects(Some("sida 1; filter"), &a);
        assert_eq!(
            split_subjects(&d),
            ("sida 1; filter", Some((2, digest.as_str())))
        );
        let d = detail_with_subjects(None, &a);
        assert_eq!(split_subjects(&d), ("", Some((2, digest.as_str()))));
        for whole in [
            "3 ärenden",
            "",
            "x; subjects-sha256=abc",
            "3 ärenden; 3 invånare",
            &format!("x; tre invånare; {SUBJECTS_MARK}{digest}"),
            &format!("x; 3 personer; {SUBJECTS_MARK}{digest}"),
            &format!("x; 3 invånare; {SUBJECTS_MARK}{digest}; mer"),
        ] {
            assert_eq!(split_subjects(whole), (whole, None), "{whole}");
        }
    }

    #[test]
    fn checkpoints_are_signed() {
        let at = fields("x").at;
        let m = checkpoint_message(7, GENESIS, &at);
        let mac = checkpoint_mac(b"key", &m);
        assert!(checkpoint_mac_ok(b"key", &m, &mac));
        assert!(!checkpoint_mac_ok(b"other", &m, &mac));
        assert!(!checkpoint_mac_ok(
            b"key",
            &checkpoint_message(6, GENESIS, &at),
            &mac
        ));
        assert!(!checkpoint_mac_ok(b"key", &m, "zz"));
    }
}
