//! How someone proved who they are, and the assurance levels an identity provider asserts.

/// The way a member of staff logged in: kept on the session (`sessions.login_method`) and named
/// in the access log's `login` entry (`messages::log::login_method`). A new way (a SITHS client
/// certificate presented in TLS) is a variant here and a caller of `service::identified::login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginMethod {
    /// HSA-ID, password and a one-time code (or a recovery code).
    Password,
    /// An OpenID Connect provider of the configuration (`oidc_providers`), by its `id`.
    Oidc { provider: String },
    /// A client certificate (SITHS) checked by the TLS layer.
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

    /// The stored form back; a session from before the column (NULL) was a password login.
    pub fn parse(stored: Option<&str>) -> Option<LoginMethod> {
        match stored {
            None | Some("password") => Some(LoginMethod::Password),
            Some("client_cert") => Some(LoginMethod::ClientCert),
            Some(s) => {
                s.strip_prefix("oidc:")
                    .filter(|p| !p.is_empty())
                    .map(|p| LoginMethod::Oidc {
                        provider: p.to_string(),
                    })
            }
        }
    }
}

/// The assurance levels of the Swedish e-identification board (DIGG, formerly
/// E-legitimationsnämnden): `http://id.elegnamnden.se/loa/1.0/loa{1..4}`, with `-nf` (issued
/// without a personal visit, same level) and `uncertified-` variants.
const ELEGNAMNDEN_LOA: &str = "http://id.elegnamnden.se/loa/1.0/";

/// The level of a Swedish LoA URI: `Some((level, certified))`.
fn swedish_level(acr: &str) -> Option<(u8, bool)> {
    let rest = acr.strip_prefix(ELEGNAMNDEN_LOA)?;
    let (certified, rest) = match rest.strip_prefix("uncertified-") {
        Some(r) => (false, r),
        None => (true, rest),
    };
    let rest = rest.strip_suffix("-nf").unwrap_or(rest);
    let digit = rest.strip_prefix("loa")?;
    match digit {
        "1" | "2" | "3" | "4" => digit.parse().ok().map(|l| (l, certified)),
        _ => None,
    }
}

/// Whether the `acr` a provider asserted meets the one required. The same value always does; a
/// Swedish LoA meets a lower or equal Swedish LoA (loa4 meets loa3), an uncertified one only an
/// uncertified requirement. Nothing else meets anything: an unknown value, or none at all, is
/// refused when a level is required. An empty requirement accepts every login.
pub fn acr_satisfies(required: &str, asserted: Option<&str>) -> bool {
    let required = required.trim();
    if required.is_empty() {
        return true;
    }
    let Some(asserted) = asserted.map(str::trim) else {
        return false;
    };
    if asserted == required {
        return true;
    }
    match (swedish_level(required), swedish_level(asserted)) {
        (Some((need, need_cert)), Some((got, got_cert))) => got >= need && (got_cert || !need_cert),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOA2: &str = "http://id.elegnamnden.se/loa/1.0/loa2";
    const LOA3: &str = "http://id.elegnamnden.se/loa/1.0/loa3";
    const LOA3_NF: &str = "http://id.elegnamnden.se/loa/1.0/loa3-nf";
    const LOA4: &str = "http://id.elegnamnden.se/loa/1.0/loa4";
    const UNCERTIFIED3: &str = "http://id.elegnamnden.se/loa/1.0/uncertified-loa3";

    #[test]
    fn methods_round_trip() {
        for m in [
            LoginMethod::Password,
            LoginMethod::ClientCert,
            LoginMethod::Oidc {
                provider: "inera".into(),
            },
        ] {
            assert_eq!(LoginMethod::parse(Some(&m.code())), Some(m.clone()));
        }
        assert_eq!(LoginMethod::parse(None), Some(LoginMethod::Password));
        assert_eq!(LoginMethod::parse(Some("oidc:")), None);
        assert_eq!(LoginMethod::parse(Some("magic")), None);
    }

    #[test]
    fn a_higher_swedish_level_meets_a_lower_one() {
        assert!(acr_satisfies(LOA3, Some(LOA3)));
        assert!(acr_satisfies(LOA3, Some(LOA4)));
        assert!(acr_satisfies(LOA3, Some(LOA3_NF)));
        assert!(!acr_satisfies(LOA3, Some(LOA2)));
        assert!(!acr_satisfies(LOA4, Some(LOA3)));
        assert!(!acr_satisfies(LOA3, Some(UNCERTIFIED3)));
        assert!(acr_satisfies(UNCERTIFIED3, Some(LOA3)));
    }

    #[test]
    fn unknown_or_missing_levels_are_refused() {
        assert!(!acr_satisfies(LOA3, None));
        assert!(!acr_satisfies(LOA3, Some("")));
        assert!(!acr_satisfies(LOA3, Some("urn:example:strong")));
        assert!(!acr_satisfies(
            LOA3,
            Some("http://id.elegnamnden.se/loa/1.0/loa9")
        ));
        assert!(!acr_satisfies(
            LOA3,
            Some("http://id.elegnamnden.se/loa/1.0/loa3x")
        ));
        assert!(acr_satisfies(
            "urn:example:strong",
            Some("urn:example:strong")
        ));
        assert!(!acr_satisfies("urn:example:strong", Some(LOA4)));
        assert!(acr_satisfies("", None));
    }
}
