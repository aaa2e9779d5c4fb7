//! Our own TLS listener (rustls, the `aws-lc-rs` provider): the server's certificate and key and, for
//! logging in with a SITHS card, client certificates — asked for in every handshake, required
//! by none (the password login works on the same listener). A certificate a client presents
//! must chain to the client CAs (`tls_client_ca_file`), be in date and not be on their
//! revocation lists (`tls_client_crl_files`), or the handshake fails: an expired or revoked card
//! never reaches a page. The lists are read again every `tls_client_crl_reload_seconds`
//! ([`ClientTrust::reload`]); a list past its nextUpdate refuses every certificate of its CA.
//! The verified certificate goes to the request through [`on_connect`] as [`PeerCert`].

use crate::config::Config;
use chrono::{DateTime, Utc};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}: {1}")]
    Read(PathBuf, String),
    #[error("{0}: {1}")]
    Invalid(PathBuf, String),
    #[error("TLS: {0}")]
    Config(String),
}

/// rustls' aws-lc-rs provider: its key exchanges are X25519MLKEM768 first (hybrid: ML-KEM-768,
/// FIPS 203, beside X25519, so that neither alone has to hold), then X25519, P-256 and P-384 for
/// clients that do not offer it. A session recorded today cannot be decrypted later by whoever
/// gets a quantum computer, and what passes here (who is locked out of 1177, and why) stays
/// sensitive for a lifetime.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read(path.into(), e.to_string()))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid(path.into(), e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::Invalid(
            path.into(),
            "no PEM certificate in the file".into(),
        ));
    }
    Ok(certs)
}

/// A revocation list file: PEM (one or more lists) or DER (as CAs publish them).
fn crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let lists = CertificateRevocationListDer::pem_slice_iter(trimmed)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Invalid(path.into(), e.to_string()))?;
        if lists.is_empty() {
            return Err(TlsError::Invalid(
                path.into(),
                "no PEM X509 CRL in the file".into(),
            ));
        }
        Ok(lists)
    } else {
        Ok(vec![CertificateRevocationListDer::from(bytes)])
    }
}

/// The rustls configuration of `serve` (`tls_cert_file`, `tls_key_file`), and the client trust
/// when client certificates are asked for (`tls_client_ca_file`): keep it to reload its lists.
pub fn server_config(
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<(ServerConfig, Option<Arc<ClientTrust>>), TlsError> {
    let cert_file = Path::new(cfg.tls_cert_file.trim());
    let key_file = Path::new(cfg.tls_key_file.trim());
    let chain = certificates(cert_file)?;
    let key = PrivateKeyDer::from_pem_slice(&read(key_file)?)
        .map_err(|e| TlsError::Invalid(key_file.into(), e.to_string()))?;
    let trust = if cfg.asks_client_certs() {
        Some(Arc::new(ClientTrust::load(
            Path::new(cfg.tls_client_ca_file.trim()),
            &cfg.tls_client_crl_files
                .iter()
                .map(|f| PathBuf::from(f.trim()))
                .filter(|f| !f.as_os_str().is_empty())
                .collect::<Vec<_>>(),
            now,
        )?))
    } else {
        None
    };
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &trust {
        Some(t) => builder.with_client_cert_verifier(t.clone()),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Invalid(cert_file.into(), e.to_string()))?;
    if trust.is_some() {
        // No resumption: a resumed session would bring back the client certificate verified at
        // its first handshake, past a revocation or an expiry since. Every connection verifies
        // the card afresh.
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Ok((config, trust))
}

/// What clients' certificates are checked against: the client CAs and their revocation lists,
/// swapped whole by [`ClientTrust::reload`]. The CA names sent to clients as hints (which card
/// to offer) are those read at start: a new CA needs a restart.
pub struct ClientTrust {
    ca_file: PathBuf,
    crl_files: Vec<PathBuf>,
    hints: Vec<DistinguishedName>,
    current: RwLock<Arc<dyn ClientCertVerifier>>,
}

impl std::fmt::Debug for ClientTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTrust")
            .field("ca_file", &self.ca_file)
            .field("crl_files", &self.crl_files)
            .finish()
    }
}

/// The verifier for the CAs in `ca_file` and the lists in `crl_files`, and the CAs' names.
fn verifier(
    ca_file: &Path,
    crl_files: &[PathBuf],
    now: DateTime<Utc>,
) -> Result<(Arc<dyn ClientCertVerifier>, Vec<DistinguishedName>), TlsError> {
    let mut roots = RootCertStore::empty();
    for c in certificates(ca_file)? {
        roots
            .add(c)
            .map_err(|e| TlsError::Invalid(ca_file.into(), e.to_string()))?;
    }
    let mut lists = Vec::new();
    for f in crl_files {
        for crl in crls(f)? {
            warn_if_stale(f, &crl, now)?;
            lists.push(crl);
        }
    }
    if lists.is_empty() {
        return Err(TlsError::Config(
            "no revocation list (tls_client_crl_files)".into(),
        ));
    }
    let roots = Arc::new(roots);
    let hints = roots.subjects();
    let v = WebPkiClientVerifier::builder_with_provider(roots, provider())
        .with_crls(lists)
        // A stale list cannot say a card was revoked yesterday: refuse rather than guess.
        .enforce_revocation_expiration()
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok((v, hints))
}

/// Logs a list that is past its nextUpdate (every certificate of its CA is refused then), or
/// close to it; refuses a list that cannot be read.
fn warn_if_stale(
    file: &Path,
    crl: &CertificateRevocationListDer<'_>,
    now: DateTime<Utc>,
) -> Result<(), TlsError> {
    let (_, parsed) = x509_parser::parse_x509_crl(crl.as_ref())
        .map_err(|e| TlsError::Invalid(file.into(), format!("not a revocation list: {e}")))?;
    let issuer = parsed.issuer().to_string();
    let Some(next) = parsed
        .next_update()
        .and_then(|t| DateTime::from_timestamp(t.timestamp(), 0))
    else {
        return Ok(());
    };
    if next < now {
        tracing::error!(
            file = %file.display(),
            issuer = %issuer,
            next_update = %next,
            "revocation list expired: every client certificate of this CA is refused until a fresh list is in place"
        );
    } else if next < now + chrono::Duration::hours(24) {
        tracing::warn!(
            file = %file.display(),
            issuer = %issuer,
            next_update = %next,
            "revocation list expires within a day"
        );
    }
    Ok(())
}

impl ClientTrust {
    pub fn load(
        ca_file: &Path,
        crl_files: &[PathBuf],
        now: DateTime<Utc>,
    ) -> Result<ClientTrust, TlsError> {
        let (v, hints) = verifier(ca_file, crl_files, now)?;
        Ok(ClientTrust {
            ca_file: ca_file.into(),
            crl_files: crl_files.to_vec(),
            hints,
            current: RwLock::new(v),
        })
    }

    /// Reads the CA bundle and the lists again and puts them in force for the next handshakes.
    /// On an error the lists in force stay (and the error is returned to be logged).
    pub fn reload(&self, now: DateTime<Utc>) -> Result<(), TlsError> {
        let (v, _) = verifier(&self.ca_file, &self.crl_files, now)?;
        match self.current.write() {
            Ok(mut slot) => *slot = v,
            Err(poisoned) => *poisoned.into_inner() = v,
        }
        Ok(())
    }

    fn inner(&self) -> Arc<dyn ClientCertVerifier> {
        match self.current.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads every `every` for as long as the server runs (spawned by `serve`).
    pub async fn reload_every(self: Arc<Self>, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let me = self.clone();
            let done = tokio::task::spawn_blocking(move || me.reload(Utc::now())).await;
            match done {
                Ok(Ok(())) => tracing::debug!("client CAs and revocation lists read again"),
                Ok(Err(e)) => tracing::error!(
                    error = %e,
                    "client CAs or revocation lists could not be read again; the ones in force stay"
                ),
                Err(e) => tracing::error!(error = %e, "revocation list reload"),
            }
        }
    }
}

impl ClientCertVerifier for ClientTrust {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verdict = self
            .inner()
            .verify_client_cert(end_entity, intermediates, now);
        if let Err(e) = &verdict {
            // No request, so no access-log entry: the refusal is in the tracing log, with the
            // card's HSA-ID and serial (never a citizen's data).
            let card = crate::auth::clientcert::read(end_entity.as_ref()).ok();
            tracing::warn!(
                hsa_id = card.as_ref().and_then(|c| c.serial_number.as_deref()).unwrap_or("-"),
                serial = card.as_ref().map(|c| c.cert_serial.as_str()).unwrap_or("-"),
                issuer = card.as_ref().map(|c| c.issuer.as_str()).unwrap_or("-"),
                error = %e,
                "client certificate refused in the TLS handshake"
            );
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner().supported_verify_schemes()
    }
}

/// The client certificate (DER) of the request's TLS connection, verified in its handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCert(pub Vec<u8>);

/// For `HttpServer::on_connect`: puts the verified client certificate of a TLS connection (if
/// the client presented one) in the connection's data, where `HttpRequest::conn_data` finds it.
pub fn on_connect(conn: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    if let Some(tls) = conn.downcast_ref::<Tls>() {
        let (_, session) = tls.get_ref();
        if let Some(cert) = session.peer_certificates().and_then(|c| c.first()) {
            data.insert(PeerCert(cert.as_ref().to_vec()));
        }
    }
}
