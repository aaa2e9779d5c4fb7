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
    /// The mailboxes the certificate is for: subject e-mail addresses and SAN rfc822Names.
    pub emails: Vec<String>,
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
        emails: emails_of(&cert),
        subject: cert.subject().to_string(),
        not_before: nb.naive_utc(),
        not_after: na.naive_utc(),
        fingerprint: hex::encode(Sha256::digest(&pem.contents)),
    })
}

/// The mailboxes a parsed certificate names (subject emailAddress, SAN rfc822Name).
fn emails_of(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    let mut out: Vec<String> = cert
        .subject()
        .iter_email()
        .filter_map(|a| a.as_str().ok())
        .map(str::to_string)
        .collect();
    for ext in cert.extensions() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            for n in &san.general_names {
                if let x509_parser::extensions::GeneralName::RFC822Name(m) = n {
                    out.push((*m).to_string());
                }
            }
        }
    }
    out
}

/// The mailboxes of a stored certificate, whatever its validity (empty when unreadable).
pub fn emails(pem: &str) -> Vec<String> {
    parse_x509_pem(pem.as_bytes())
        .ok()
        .and_then(|(_, p)| p.parse_x509().ok().map(|c| emails_of(&c)))
        .unwrap_or_default()
}

/// Days until expiry (negative when expired).
pub fn days_left(not_after: NaiveDateTime, now: DateTime<Utc>) -> i64 {
    (not_after - now.naive_utc()).num_days()
}

/// Warn this many days before a certificate expires.
pub const WARN_DAYS: i64 = 30;
