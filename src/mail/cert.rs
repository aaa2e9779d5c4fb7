//! Inspecting a unit's recipient certificate: validity dates, key usable for encryption, and how
//! soon it expires.

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};
use x509_parser::extensions::ParsedExtension;
use x509_parser::pem::parse_x509_pem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("Filen är inte ett certifikat i PEM-format.")]
    NotPem,
    #[error("Certifikatet gäller inte förrän {0}.")]
    NotYetValid(String),
    #[error("Certifikatet gick ut {0}.")]
    Expired(String),
    #[error(
        "Certifikatet får inte användas för kryptering (nyckelanvändning saknar keyEncipherment/keyAgreement)."
    )]
    NoEncryption,
    #[error(
        "Certifikatet får inte användas för e-post (utökad nyckelanvändning saknar emailProtection)."
    )]
    NotForEmail,
}

/// Checks a recipient certificate for S/MIME encryption at `now`.
pub fn inspect(pem: &str, now: DateTime<Utc>) -> Result<CertInfo, CertError> {
    let (_, pem) = parse_x509_pem(pem.as_bytes()).map_err(|_| CertError::NotPem)?;
    let cert = pem.parse_x509().map_err(|_| CertError::NotPem)?;
    let nb = DateTime::from_timestamp(cert.validity().not_before.timestamp(), 0)
        .ok_or(CertError::NotPem)?;
    let na = DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
        .ok_or(CertError::NotPem)?;
    if now < nb {
        return Err(CertError::NotYetValid(nb.format("%Y-%m-%d").to_string()));
    }
    if now > na {
        return Err(CertError::Expired(na.format("%Y-%m-%d").to_string()));
    }
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::KeyUsage(ku) if !(ku.key_encipherment() || ku.key_agreement()) => {
                return Err(CertError::NoEncryption);
            }
            ParsedExtension::ExtendedKeyUsage(eku) if !(eku.email_protection || eku.any) => {
                return Err(CertError::NotForEmail);
            }
            _ => {}
        }
    }
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        not_before: nb.naive_utc(),
        not_after: na.naive_utc(),
        fingerprint: hex::encode(Sha256::digest(&pem.contents)),
    })
}

/// Days until expiry (negative when expired).
pub fn days_left(not_after: NaiveDateTime, now: DateTime<Utc>) -> i64 {
    (not_after - now.naive_utc()).num_days()
}

/// Warn this many days before a certificate expires.
pub const WARN_DAYS: i64 = 30;
