//! SMTP delivery with lettre, as the settings say (`config::smtp`: TLS is required, STARTTLS or
//! from the first byte; plain SMTP only to a loopback address in development).

use crate::config::smtp::{Security, SmtpSettings};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use std::time::Duration;

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// A 5xx answer: retrying will not help.
    pub permanent: bool,
    pub message: String,
}

/// Sends one ready message (RFC 5322 bytes) to one recipient.
pub fn send(s: &SmtpSettings, recipient: &str, message: &[u8]) -> Result<(), SendError> {
    let fail = |permanent: bool, m: String| SendError {
        permanent,
        message: m,
    };
    let tls = || -> Result<TlsParameters, SendError> {
        let mut b = TlsParameters::builder(s.host.clone());
        if let Some(pem) = &s.ca_pem {
            let c = Certificate::from_pem(pem.as_bytes())
                .map_err(|e| fail(false, format!("smtp_ca_file: {e}")))?;
            b = b.add_root_certificate(c);
        }
        b.build().map_err(|e| fail(false, format!("TLS: {e}")))
    };
    let security = match s.security {
        Security::StartTls => Tls::Required(tls()?),
        Security::Wrapper => Tls::Wrapper(tls()?),
        Security::Plain => Tls::None,
    };
    let mut builder = SmtpTransport::builder_dangerous(s.host.as_str())
        .port(s.port)
        .tls(security)
        .timeout(Some(Duration::from_secs(30)));
    if let Some((u, p)) = &s.credentials {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    let transport = builder.build();
    let envelope = Envelope::new(
        Some(
            s.from
                .parse()
                .map_err(|_| fail(true, "avsändaradressen är ogiltig".into()))?,
        ),
        vec![
            recipient
                .parse()
                .map_err(|_| fail(true, "mottagaradressen är ogiltig".into()))?,
        ],
    )
    .map_err(|e| fail(true, e.to_string()))?;
    // The sender is today's configuration, not the one the message was queued under.
    let message = super::message::with_from(message, &s.from);
    transport
        .send_raw(&envelope, &message)
        .map(|_| ())
        .map_err(|e| fail(e.is_permanent(), e.to_string()))
}
