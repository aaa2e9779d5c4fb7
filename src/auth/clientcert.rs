//! What a client certificate (a SITHS card) says: the HSA-ID in its subject's serialNumber
//! (OID 2.5.4.5) and its validity; and a certificate as a TLS proxy forwards it in a header.
//!
//! The chain, the signatures and revocation are checked before a certificate gets here: by our
//! own TLS listener (the `tls` module: rustls against the client CAs and their CRLs), or by the
//! trusted proxy. The dates are checked here again against the service's clock, for both ways in.

use chrono::{DateTime, Utc};
use x509_parser::oid_registry::OID_X509_SERIALNUMBER;

/// The parts of a client certificate a login needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The subject's serialNumber as written: an HSA-ID on a SITHS card (the caller checks that
    /// it is one). None when the subject has none.
    pub serial_number: Option<String>,
    /// The certificate's own serial number (hex), for the log.
    pub cert_serial: String,
    /// The issuer's common name (or the whole issuer name), for the log.
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("not an X.509 certificate")]
    Unreadable,
    #[error("the certificate is not valid until {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("the certificate expired {0}")]
    Expired(DateTime<Utc>),
}

/// Reads a certificate (DER).
pub fn read(der: &[u8]) -> Result<Card, CardError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|_| CardError::Unreadable)?;
    if !rest.is_empty() {
        return Err(CardError::Unreadable);
    }
    let time = |t: x509_parser::time::ASN1Time| {
        DateTime::from_timestamp(t.timestamp(), 0).ok_or(CardError::Unreadable)
    };
    let subject = cert.subject();
    // Exactly one serialNumber: a subject with two is not a card we can name anyone by.
    let mut serials = subject
        .iter_by_oid(&OID_X509_SERIALNUMBER)
        .map(|a| a.as_str().map(|s| s.trim().to_string()));
    let serial_number = match (serials.next(), serials.next()) {
        (Some(Ok(s)), None) if !s.is_empty() => Some(s),
        _ => None,
    };
    let issuer = cert
        .issuer()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok().map(str::to_string))
        .unwrap_or_else(|| cert.issuer().to_string());
    Ok(Card {
        serial_number,
        cert_serial: cert.raw_serial_as_string(),
        issuer,
        not_before: time(cert.validity().not_before)?,
        not_after: time(cert.validity().not_after)?,
    })
}

impl Card {
    /// In date at `now` (the service's clock).
    pub fn check_dates(&self, now: DateTime<Utc>) -> Result<(), CardError> {
        if now < self.not_before {
            return Err(CardError::NotYetValid(self.not_before));
        }
        if now > self.not_after {
            return Err(CardError::Expired(self.not_after));
        }
        Ok(())
    }
}

/// The longest header value taken (a certificate with its chain is a few kilobytes).
pub const MAX_HEADER: usize = 32 * 1024;

/// The certificate (DER) in a proxy's header: URL-encoded PEM (nginx `$ssl_client_escaped_cert`),
/// PEM (with its line breaks as spaces or tabs), or base64 DER (HAProxy `ssl_c_der,base64`).
/// Of a PEM chain, the first certificate (the client's). None when it is none of these.
pub fn from_header(value: &[u8]) -> Option<Vec<u8>> {
    if value.is_empty() || value.len() > MAX_HEADER {
        return None;
    }
    let text = percent_decode(value)?;
    let text = std::str::from_utf8(&text).ok()?;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = match text.find(BEGIN) {
        Some(at) => {
            let rest = &text[at + BEGIN.len()..];
            &rest[..rest.find(END)?]
        }
        None => text,
    };
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = data_encoding::BASE64.decode(b64.as_bytes()).ok()?;
    read(&der).ok().map(|_| der)
}

/// `%XX` decoded (a `+` stays a `+`: base64 holds them). None on a malformed escape.
fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::{X509, X509NameBuilder};

    /// A self-signed certificate with these subject serialNumbers, valid from `from` for `days`.
    fn cert(serials: &[&str], from: i64, days: u32) -> Option<Vec<u8>> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).ok()?;
        let key = PKey::from_ec_key(EcKey::generate(&group).ok()?).ok()?;
        let mut name = X509NameBuilder::new().ok()?;
        for s in serials {
            name.append_entry_by_nid(Nid::SERIALNUMBER, s).ok()?;
        }
        name.append_entry_by_nid(Nid::COMMONNAME, "Testa Testsson")
            .ok()?;
        let name = name.build();
        let mut b = X509::builder().ok()?;
        b.set_version(2).ok()?;
        b.set_subject_name(&name).ok()?;
        b.set_issuer_name(&name).ok()?;
        b.set_pubkey(&key).ok()?;
        let (nb, na) = (
            Asn1Time::from_unix(from).ok()?,
            Asn1Time::from_unix(from + i64::from(days) * 86_400).ok()?,
        );
        b.set_not_before(&nb).ok()?;
        b.set_not_after(&na).ok()?;
        b.sign(&key, MessageDigest::sha256()).ok()?;
        b.build().to_der().ok()
    }

    const T: i64 = 1_795_000_000; // 2026-11-19

    #[test]
    fn the_hsa_id_is_the_subject_serial_number() {
        let der = cert(&["SE2321000131-P000000012345"], T, 30).unwrap_or_default();
        let card = read(&der);
        assert_eq!(
            card.as_ref().ok().and_then(|c| c.serial_number.clone()),
            Some("SE2321000131-P000000012345".to_string())
        );
        assert_eq!(
            card.map(|c| c.issuer),
            Ok("Testa Testsson".to_string()),
            "the issuer's CN"
        );
        let none = read(&cert(&[], T, 30).unwrap_or_default()).map(|c| c.serial_number);
        assert_eq!(none, Ok(None));
        let two = read(&cert(&["SE2321000131-P1", "SE2321000131-P2"], T, 30).unwrap_or_default())
            .map(|c| c.serial_number);
        assert_eq!(two, Ok(None), "two serialNumbers name nobody");
        assert_eq!(read(b"not a certificate"), Err(CardError::Unreadable));
        let mut trailing = der.clone();
        trailing.push(0);
        assert_eq!(read(&trailing), Err(CardError::Unreadable));
    }

    #[test]
    fn dates_against_the_clock() {
        let card = read(&cert(&["SE2321000131-P1"], T, 30).unwrap_or_default());
        let Ok(card) = card else { panic!("{card:?}") };
        let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
        assert_eq!(card.check_dates(at(T + 86_400)), Ok(()));
        assert!(matches!(
            card.check_dates(at(T - 1)),
            Err(CardError::NotYetValid(_))
        ));
        assert!(matches!(
            card.check_dates(at(T + 31 * 86_400)),
            Err(CardError::Expired(_))
        ));
    }

    #[test]
    fn what_proxies_send() {
        let der = cert(&["SE2321000131-P1"], T, 30).unwrap_or_default();
        let b64 = data_encoding::BASE64.encode(&der);
        let lines: Vec<String> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        );
        // nginx $ssl_client_escaped_cert: every reserved byte escaped.
        let escaped: String = pem
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        // nginx's older $ssl_client_cert: line breaks as a tab.
        let tabbed = pem.trim_end().replace('\n', "\t");
        for (what, value) in [
            ("escaped PEM", escaped.as_str()),
            ("PEM", pem.as_str()),
            ("tabbed PEM", tabbed.as_str()),
            ("base64 DER", b64.as_str()),
        ] {
            assert_eq!(
                from_header(value.as_bytes()).as_deref(),
                Some(der.as_slice()),
                "{what}"
            );
        }
        // A chain: the first is the client's.
        let other = cert(&["SE2321000131-P2"], T, 30).unwrap_or_default();
        let chain = format!(
            "{pem}-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            data_encoding::BASE64.encode(&other)
        );
        assert_eq!(
            from_header(chain.as_bytes()).as_deref(),
            Some(der.as_slice())
        );
        for bad in [
            &b""[..],
            b"(null)",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n",
            b"%ZZ",
            b"%4",
            b"aGVsbG8=",
        ] {
            assert_eq!(from_header(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(from_header(&vec![b'A'; MAX_HEADER + 1]), None);
    }
}
