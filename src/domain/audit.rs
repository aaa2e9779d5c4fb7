//! The access log's hash chain (SPEC §4): each entry's hash covers its own fields and the hash of
//! the entry before it, so that an edited, inserted or removed row breaks the chain.

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

/// SHA-256 over the previous hash and every field, each length-prefixed so that no two different
/// entries serialise alike.
pub fn entry_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
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
}
