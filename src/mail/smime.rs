//! S/MIME encryption: CMS EnvelopedData with AES-256 for the recipient's certificate.

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::X509;

#[derive(Debug, thiserror::Error)]
#[error("S/MIME encryption failed: {0}")]
pub struct SmimeError(String);

/// Encrypts a MIME entity for the certificate; returns the DER of the CMS ContentInfo.
pub fn encrypt(entity: &[u8], cert_pem: &str) -> Result<Vec<u8>, SmimeError> {
    let e = |x: openssl::error::ErrorStack| SmimeError(x.to_string());
    let cert = X509::from_pem(cert_pem.as_bytes()).map_err(e)?;
    let mut certs = Stack::new().map_err(e)?;
    certs.push(cert).map_err(e)?;
    let cms = CmsContentInfo::encrypt(&certs, entity, Cipher::aes_256_cbc(), CMSOptions::BINARY)
        .map_err(e)?;
    cms.to_der().map_err(e)
}
