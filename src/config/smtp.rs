//! The SMTP settings (`smtp_url`, `smtp_from`, …), checked when the configuration is read. TLS
//! is required: `smtp://host:port` demands STARTTLS, `smtps://` is TLS from the first byte. Plain
//! SMTP (`smtp+plain://`) is accepted only to a loopback address and only when
//! `smtp_allow_plain` is set (development). The mail module delivers with them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    StartTls,
    Wrapper,
    Plain,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub from: String,
    pub ca_pem: Option<String>,
    pub credentials: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpConfigError {
    #[error(
        "smtp_url must be smtp://host[:port] (STARTTLS), smtps://host[:port] or, for loopback development only, smtp+plain://127.0.0.1:port"
    )]
    Url,
    #[error("plain SMTP is allowed only to a loopback address and with smtp_allow_plain = true")]
    PlainNotAllowed,
    #[error("smtp_from is not an e-mail address")]
    From,
    #[error("cannot read smtp_ca_file: {0}")]
    Ca(String),
}

impl SmtpSettings {
    pub fn parse(
        url: &str,
        from: &str,
        allow_plain: bool,
        ca_file: &str,
        username: &str,
        password: &str,
    ) -> Result<SmtpSettings, SmtpConfigError> {
        let (security, rest, default_port) = if let Some(r) = url.strip_prefix("smtp://") {
            (Security::StartTls, r, 587)
        } else if let Some(r) = url.strip_prefix("smtps://") {
            (Security::Wrapper, r, 465)
        } else if let Some(r) = url.strip_prefix("smtp+plain://") {
            (Security::Plain, r, 25)
        } else {
            return Err(SmtpConfigError::Url);
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| SmtpConfigError::Url)?),
            None => (rest.to_string(), default_port),
        };
        if host.is_empty() {
            return Err(SmtpConfigError::Url);
        }
        if security == Security::Plain {
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !(allow_plain && loopback) {
                return Err(SmtpConfigError::PlainNotAllowed);
            }
        }
        if !crate::domain::validate::email(from) {
            return Err(SmtpConfigError::From);
        }
        let ca_pem = if ca_file.is_empty() {
            None
        } else {
            Some(std::fs::read_to_string(ca_file).map_err(|e| SmtpConfigError::Ca(e.to_string()))?)
        };
        let credentials =
            (!username.is_empty()).then(|| (username.to_string(), password.to_string()));
        Ok(SmtpSettings {
            host,
            port,
            security,
            from: from.to_string(),
            ca_pem,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let ok = SmtpSettings::parse("smtp://mail.example.se", "k@example.se", false, "", "", "");
        assert_eq!(
            ok.as_ref().map(|s| (s.port, s.security.clone())),
            Ok((587, Security::StartTls))
        );
        let w = SmtpSettings::parse(
            "smtps://mail.example.se:4650",
            "k@example.se",
            false,
            "",
            "",
            "",
        );
        assert_eq!(
            w.map(|s| (s.port, s.security)),
            Ok((4650, Security::Wrapper))
        );
        assert_eq!(
            SmtpSettings::parse(
                "smtp+plain://mail.example.se:25",
                "k@example.se",
                true,
                "",
                "",
                ""
            )
            .err(),
            Some(SmtpConfigError::PlainNotAllowed)
        );
        assert_eq!(
            SmtpSettings::parse(
                "smtp+plain://127.0.0.1:2525",
                "k@example.se",
                false,
                "",
                "",
                ""
            )
            .err(),
            Some(SmtpConfigError::PlainNotAllowed)
        );
        assert!(
            SmtpSettings::parse(
                "smtp+plain://127.0.0.1:2525",
                "k@example.se",
                true,
                "",
                "",
                ""
            )
            .is_ok()
        );
        assert_eq!(
            SmtpSettings::parse("http://x", "k@example.se", false, "", "", "").err(),
            Some(SmtpConfigError::Url)
        );
        assert_eq!(
            SmtpSettings::parse("smtp://x", "nope", false, "", "", "").err(),
            Some(SmtpConfigError::From)
        );
    }
}
