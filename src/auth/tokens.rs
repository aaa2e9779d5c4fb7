//! Random secrets and their stored digests.

use data_encoding::BASE64URL_NOPAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    BASE64URL_NOPAD.encode(&b)
}

/// What is stored for a token: its SHA-256, hex.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten one-time recovery codes like `k7m2-x9qp-4tnw` (about 74 bits each).
pub fn recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let chars: Vec<char> = (0..15)
                .map(|_| {
                    let i = (rng.next_u32() as usize) % RECOVERY_ALPHABET.len();
                    char::from(RECOVERY_ALPHABET[i])
                })
                .collect();
            format!(
                "{}-{}-{}",
                chars[..5].iter().collect::<String>(),
                chars[5..10].iter().collect::<String>(),
                chars[10..].iter().collect::<String>()
            )
        })
        .collect()
}

/// The stored digest of a recovery code, as typed (case and dashes do not matter).
pub fn recovery_digest(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    digest(&format!("recovery:{norm}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_digest_is_stable() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
        assert_eq!(digest("a"), digest("a"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn recovery_codes_normalise() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            recovery_digest(&codes[0]),
            recovery_digest(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_digest(&codes[0]), recovery_digest(&codes[1]));
    }
}
