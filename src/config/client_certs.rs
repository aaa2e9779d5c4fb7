//! The rules of the TLS and client-certificate settings (`tls_*`, `client_cert_*`): which go
//! together, and what they turn on.

use super::{Config, ConfigError};

/// The TLS and client-certificate settings' rules (the settings themselves are in `Config`).
impl Config {
    pub(crate) fn check_client_certs(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        let (cert, key) = (self.tls_cert_file.trim(), self.tls_key_file.trim());
        if cert.is_empty() != key.is_empty() {
            return bad("tls_cert_file and tls_key_file go together: set both or neither");
        }
        if !self.tls_client_ca_file.trim().is_empty() {
            if cert.is_empty() {
                return bad(
                    "tls_client_ca_file needs tls_cert_file and tls_key_file: client \
                     certificates are asked for in our own TLS",
                );
            }
            if self
                .tls_client_crl_files
                .iter()
                .all(|f| f.trim().is_empty())
            {
                return bad(
                    "tls_client_ca_file needs tls_client_crl_files: the revocation lists of \
                     the client CAs (a revoked card must not log in)",
                );
            }
        }
        if !(1..=86_400).contains(&self.tls_client_crl_reload_seconds) {
            return bad("tls_client_crl_reload_seconds must be between 1 and 86400");
        }
        if let Some(p) = self
            .client_cert_proxies
            .iter()
            .find(|p| p.trim().parse::<std::net::IpAddr>().is_err())
        {
            return Err(ConfigError::Invalid(format!(
                "client_cert_proxies: {p:?} is not an IP address"
            )));
        }
        if actix_web::http::header::HeaderName::from_bytes(
            self.client_cert_header.trim().as_bytes(),
        )
        .is_err()
        {
            return bad("client_cert_header must be a header name");
        }
        Ok(())
    }

    /// `serve` speaks TLS itself (`tls_cert_file`, `tls_key_file`).
    pub fn serves_tls(&self) -> bool {
        !self.tls_cert_file.trim().is_empty()
    }

    /// Our own listener asks clients for a certificate (`tls_client_ca_file`).
    pub fn asks_client_certs(&self) -> bool {
        self.serves_tls() && !self.tls_client_ca_file.trim().is_empty()
    }

    /// The trusted proxies that may forward a client certificate (`client_cert_proxies`).
    pub fn client_cert_proxies(&self) -> Vec<std::net::IpAddr> {
        self.client_cert_proxies
            .iter()
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    }

    /// Staff can log in with a card (the login page shows the button): our own TLS asks for
    /// client certificates, or a trusted proxy forwards them.
    pub fn client_cert_login(&self) -> bool {
        self.asks_client_certs() || !self.client_cert_proxies.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn client_certificate_settings() {
        let c = Config::load_from(
            None,
            env(&[
                ("KONTOSPARR_TLS_CERT_FILE", "/etc/k/server.pem"),
                ("KONTOSPARR_TLS_KEY_FILE", "/etc/k/server.key"),
                ("KONTOSPARR_TLS_CLIENT_CA_FILE", "/etc/k/siths.pem"),
                (
                    "KONTOSPARR_TLS_CLIENT_CRL_FILES",
                    "/etc/k/root.crl, /etc/k/person.crl",
                ),
                ("KONTOSPARR_CLIENT_CERT_PROXIES", "10.0.0.5,::1"),
                ("KONTOSPARR_CLIENT_CERT_HEADER", "X-Client-Cert"),
            ]),
        );
        let c = match c {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            c.tls_client_crl_files,
            vec![
                "/etc/k/root.crl".to_string(),
                "/etc/k/person.crl".to_string()
            ]
        );
        assert_eq!(c.client_cert_proxies().len(), 2);
        assert!(c.serves_tls() && c.asks_client_certs() && c.client_cert_login());
        assert_eq!(c.public_url(), "https://127.0.0.1:8080");
        assert!(c.check_transport().is_ok());
        assert!(!Config::default().client_cert_login());
        for bad in [
            vec![("KONTOSPARR_TLS_CERT_FILE", "/x.pem")],
            vec![
                ("KONTOSPARR_TLS_CERT_FILE", "/x.pem"),
                ("KONTOSPARR_TLS_KEY_FILE", "/x.key"),
                ("KONTOSPARR_TLS_CLIENT_CA_FILE", "/ca.pem"),
            ],
            vec![("KONTOSPARR_TLS_CLIENT_CA_FILE", "/ca.pem")],
            vec![("KONTOSPARR_CLIENT_CERT_PROXIES", "proxy.example.se")],
            vec![("KONTOSPARR_CLIENT_CERT_HEADER", "bad header")],
        ] {
            let e = Config::load_from(None, env(&bad));
            assert!(matches!(e, Err(ConfigError::Invalid(_))), "{bad:?}: {e:?}");
        }
        let mut c = Config {
            tls_cert_file: "/x.pem".into(),
            tls_key_file: "/x.key".into(),
            ..Config::default()
        };
        c.public_url = Some("http://kontosparr.example.se".into());
        assert!(c.check_transport().is_err());
    }
}
