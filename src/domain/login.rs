//! How someone proved who they are.

/// The way a member of staff logged in, named in the access log's `login` and `login_failed`
/// entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginMethod {
    /// HSA-ID, password and a one-time code (or a recovery code).
    Password,
    /// An OpenID Connect provider of the configuration, by its id.
    Oidc { provider: String },
    /// A client certificate (a SITHS card), verified by our TLS or by a trusted proxy.
    ClientCert,
}

impl LoginMethod {
    /// As stored: `password`, `oidc:<provider>`, `client_cert`.
    pub fn code(&self) -> String {
        match self {
            LoginMethod::Password => "password".into(),
            LoginMethod::Oidc { provider } => format!("oidc:{provider}"),
            LoginMethod::ClientCert => "client_cert".into(),
        }
    }

    /// Words for the access log (stored as written, in Swedish like the rest of its details).
    pub fn log_words(&self) -> String {
        match self {
            LoginMethod::Password => "lösenord och engångskod".into(),
            LoginMethod::Oidc { provider } => format!("OpenID Connect via {provider}"),
            LoginMethod::ClientCert => "klientcertifikat (SITHS)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_words() {
        assert_eq!(LoginMethod::ClientCert.code(), "client_cert");
        assert_eq!(
            LoginMethod::Oidc {
                provider: "inera".into()
            }
            .code(),
            "oidc:inera"
        );
        assert!(
            LoginMethod::ClientCert
                .log_words()
                .contains("klientcertifikat")
        );
    }
}
