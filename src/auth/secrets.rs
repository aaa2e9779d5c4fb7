//! TOTP secrets encrypted at rest: AES-256-GCM under a server key kept in a file
//! (`secret_key_file`, created 0600 on the first start), never in the database or the log.
//!
//! A stored secret is `v1:<nonce>:<ciphertext>` (base64url without padding, a random 96-bit nonce
//! per encryption). The associated data binds a ciphertext to its place (`totp:<user id>` or
//! `pending:<session>`), so a secret copied onto another account does not decrypt. A stored value
//! without the `v1:` prefix is a secret from before encryption: it is still read, and re-encrypted
//! at its next use (a login) or by `kontosparr secrets rotate`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use data_encoding::BASE64URL_NOPAD;
use rand::RngCore;
use std::path::{Path, PathBuf};

const V1: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key file {0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("the secret key file {0}: {1}")]
    Key(PathBuf, String),
    /// Wrong key, or a damaged or moved value. Never says more (no value, no key).
    #[error("a stored secret cannot be decrypted with this key")]
    Decrypt,
    #[error("a stored secret is malformed")]
    Malformed,
}

/// The server key that encrypts TOTP secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

/// A secret as read: its clear text, and whether it was stored unencrypted (to re-encrypt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub secret: String,
    pub was_clear: bool,
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// Reads the key (64 hex digits); creates it with mode 0600 when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<SecretBox, SecretError> {
        crate::keyfile::create_if_missing(path, "secret key")
            .map_err(|(file, e)| SecretError::File(file, e))?;
        Self::load(path)
    }

    /// Reads an existing key file.
    pub fn load(path: &Path) -> Result<SecretBox, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::File(path.into(), e))?;
        let bytes = hex::decode(text.trim())
            .map_err(|_| SecretError::Key(path.into(), "not 64 hex digits".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SecretError::Key(path.into(), "not 64 hex digits".into()))?;
        Ok(Self::from_key(&key))
    }

    /// `v1:<nonce>:<ciphertext>` of `secret`, bound to `place`.
    pub fn seal(&self, secret: &str, place: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Malformed)?;
        Ok(format!(
            "{V1}{}:{}",
            BASE64URL_NOPAD.encode(&nonce),
            BASE64URL_NOPAD.encode(&ct)
        ))
    }

    /// The clear secret of a stored value (encrypted, or clear from before encryption).
    pub fn open(&self, stored: &str, place: &str) -> Result<Opened, SecretError> {
        let Some(rest) = stored.strip_prefix(V1) else {
            // From before encryption: a base32 TOTP secret.
            if stored.is_empty()
                || !stored
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
            {
                return Err(SecretError::Malformed);
            }
            return Ok(Opened {
                secret: stored.to_string(),
                was_clear: true,
            });
        };
        let (nonce, ct) = rest.split_once(':').ok_or(SecretError::Malformed)?;
        let nonce = BASE64URL_NOPAD
            .decode(nonce.as_bytes())
            .map_err(|_| SecretError::Malformed)?;
        let ct = BASE64URL_NOPAD
            .decode(ct.as_bytes())
            .map_err(|_| SecretError::Malformed)?;
        if nonce.len() != 12 {
            return Err(SecretError::Malformed);
        }
        let clear = self
            .cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Decrypt)?;
        Ok(Opened {
            secret: String::from_utf8(clear).map_err(|_| SecretError::Malformed)?,
            was_clear: false,
        })
    }
}

/// Where a user's TOTP secret is stored (the associated data of its ciphertext).
pub fn user_place(user_id: i64) -> String {
    format!("totp:{user_id}")
}

/// Where a user's ID token from an OpenID Connect provider is kept (on their session).
pub fn id_token_place(user_id: i64) -> String {
    format!("id-token:{user_id}")
}

/// Where a login under way at an OpenID Connect provider is kept: the anonymous session.
pub fn oidc_pending_place(session_id_hash: &str) -> String {
    format!("oidc-pending:{session_id_hash}")
}

/// Where a secret being enrolled is stored: the enrolling session.
pub fn pending_place(session_id_hash: &str) -> String {
    format!("pending:{session_id_hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_key_and_in_their_place() {
        let a = SecretBox::from_key(&[7u8; 32]);
        let b = SecretBox::from_key(&[8u8; 32]);
        let s = crate::auth::totp::new_secret();
        let sealed = a.seal(&s, "totp:1").unwrap_or_default();
        assert!(sealed.starts_with("v1:") && !sealed.contains(&s));
        assert_ne!(
            sealed,
            a.seal(&s, "totp:1").unwrap_or_default(),
            "a fresh nonce"
        );
        let opened = a.open(&sealed, "totp:1").ok();
        assert_eq!(
            opened.map(|o| (o.secret, o.was_clear)),
            Some((s.clone(), false))
        );
        assert!(matches!(
            b.open(&sealed, "totp:1"),
            Err(SecretError::Decrypt)
        ));
        assert!(matches!(
            a.open(&sealed, "totp:2"),
            Err(SecretError::Decrypt)
        ));
        let clear = a.open(&s, "totp:1").ok();
        assert_eq!(clear.map(|o| o.was_clear), Some(true));
        assert!(a.open("v1:xx", "totp:1").is_err());
        assert!(a.open("not base32!", "totp:1").is_err());
    }

    #[test]
    fn the_key_file_is_made_0600_and_read_back() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let p = dir.path().join("sub").join("secret.key");
        let a = SecretBox::load_or_create(&p).ok();
        let b = SecretBox::load(&p).ok();
        let sealed = a.and_then(|a| a.seal("ABC", "x").ok()).unwrap_or_default();
        assert_eq!(
            b.and_then(|b| b.open(&sealed, "x").ok()).map(|o| o.secret),
            Some("ABC".to_string())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&p, "short").ok();
        assert!(matches!(SecretBox::load(&p), Err(SecretError::Key(..))));
    }
}
