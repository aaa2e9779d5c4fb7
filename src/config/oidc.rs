//! The OpenID Connect providers staff may log in through (`[[oidc_providers]]` in the file).

use super::ConfigError;
use serde::Deserialize;

/// One identity provider: Inera's IdP (SITHS eID), Freja's, a region's own.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// A short name used in URLs: `/login/oidc/<id>` and its `/callback`. Lower-case letters,
    /// digits and `-`. Changing it logs everyone out of their provider session's link.
    pub id: String,
    /// What the login button says after "Logga in med" (e.g. `SITHS eID`).
    pub name: String,
    /// The issuer URL; `<issuer>/.well-known/openid-configuration` is read at the first login.
    /// https, except on loopback (tests, development).
    pub issuer: String,
    pub client_id: String,
    /// The client secret; or `client_secret_file`, a file holding it (kept out of the config).
    #[serde(default)]
    pub client_secret: String,
    #[serde(default)]
    pub client_secret_file: String,
    /// The ID token claim that holds the user's HSA-ID (`sub` when the subject is the HSA-ID).
    #[serde(default = "default_hsa_id_claim")]
    pub hsa_id_claim: String,
    /// The assurance level (`acr`) asked for and required, e.g.
    /// `http://id.elegnamnden.se/loa/1.0/loa3`; a higher Swedish level is accepted too. Empty:
    /// whatever the provider asserts (not for production).
    #[serde(default)]
    pub required_acr: String,
    /// Scopes asked for besides `openid` (e.g. `profile`, or the provider's own scope that
    /// releases the HSA-ID claim).
    #[serde(default)]
    pub scopes: Vec<String>,
}

pub fn default_hsa_id_claim() -> String {
    "http://sambi.se/attributes/1/employeeHsaId".into()
}

/// The secret never appears in a debug print of the configuration.
impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"…")
            .field("client_secret_file", &self.client_secret_file)
            .field("hsa_id_claim", &self.hsa_id_claim)
            .field("required_acr", &self.required_acr)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl OidcProvider {
    /// The client secret: the value, or the first line of `client_secret_file`.
    pub fn client_secret(&self) -> Result<String, ConfigError> {
        if self.client_secret_file.is_empty() {
            return Ok(self.client_secret.clone());
        }
        std::fs::read_to_string(&self.client_secret_file)
            .map(|s| s.lines().next().unwrap_or("").trim().to_string())
            .map_err(|e| ConfigError::Read(self.client_secret_file.clone().into(), e))
    }
}

/// Whether `url` names a loopback host (plain http is allowed there only).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// The host of an `http(s)://host[:port]/…` URL, and whether it is https.
fn scheme_and_host(url: &str) -> Option<(bool, &str)> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        (false, url.strip_prefix("http://")?)
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    (!host.is_empty() && !authority.contains('@')).then_some((https, host))
}

/// Checks the providers at start: ids, URLs, secrets; and that the password setting leaves
/// someone a way in.
pub fn check(providers: &[OidcProvider], admins_only: bool) -> Result<(), ConfigError> {
    let bad = |m: String| Err(ConfigError::Invalid(m));
    let mut seen = std::collections::HashSet::new();
    for p in providers {
        let id = &p.id;
        if id.is_empty()
            || id.len() > 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad(format!(
                "oidc_providers: id \"{id}\" must be 1–32 lower-case letters, digits or -"
            ));
        }
        if !seen.insert(id.as_str()) {
            return bad(format!("oidc_providers: id \"{id}\" is used twice"));
        }
        if p.name.trim().is_empty() || p.name.chars().count() > 60 {
            return bad(format!("oidc_providers.{id}: name must be 1–60 characters"));
        }
        match scheme_and_host(&p.issuer) {
            Some((true, _)) => {}
            Some((false, host)) if is_loopback(host) => {}
            Some((false, _)) => {
                return bad(format!(
                    "oidc_providers.{id}: issuer must be https:// (plain http only on loopback)"
                ));
            }
            None => {
                return bad(format!(
                    "oidc_providers.{id}: issuer \"{}\" is not an http(s) URL",
                    p.issuer
                ));
            }
        }
        if p.client_id.trim().is_empty() {
            return bad(format!("oidc_providers.{id}: client_id is missing"));
        }
        match (p.client_secret.is_empty(), p.client_secret_file.is_empty()) {
            (false, false) => {
                return bad(format!(
                    "oidc_providers.{id}: give client_secret or client_secret_file, not both"
                ));
            }
            (true, true) => {
                return bad(format!(
                    "oidc_providers.{id}: client_secret or client_secret_file is missing"
                ));
            }
            (true, false) => {
                if p.client_secret()?.is_empty() {
                    return bad(format!(
                        "oidc_providers.{id}: client_secret_file {} is empty",
                        p.client_secret_file
                    ));
                }
            }
            (false, true) => {}
        }
        if p.hsa_id_claim.trim().is_empty() {
            return bad(format!("oidc_providers.{id}: hsa_id_claim is empty"));
        }
        if p.scopes.iter().any(|s| s.is_empty() || s.contains(' ')) {
            return bad(format!(
                "oidc_providers.{id}: a scope is empty or has a space"
            ));
        }
    }
    if admins_only && providers.is_empty() {
        return bad(
            "password_login_admins_only needs at least one of oidc_providers: otherwise only \
             administrators could log in"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> OidcProvider {
        OidcProvider {
            id: "inera".into(),
            name: "SITHS eID".into(),
            issuer: "https://idp.example.se/oidc".into(),
            client_id: "kontosparr".into(),
            client_secret: "s3cret".into(),
            client_secret_file: String::new(),
            hsa_id_claim: default_hsa_id_claim(),
            required_acr: "http://id.elegnamnden.se/loa/1.0/loa3".into(),
            scopes: vec!["profile".into()],
        }
    }

    /// A change to a good provider, and words its refusal must say.
    type Case = (fn(&mut OidcProvider), &'static str);

    #[test]
    fn a_good_provider_passes_and_bad_ones_are_named() {
        assert!(check(&[provider()], true).is_ok());
        let cases: Vec<Case> = vec![
            (|p| p.id = "Inera".into(), "id"),
            (|p| p.id = String::new(), "id"),
            (|p| p.name = " ".into(), "name"),
            (|p| p.issuer = "http://idp.example.se".into(), "https"),
            (|p| p.issuer = "ftp://idp".into(), "not an http"),
            (|p| p.client_id = String::new(), "client_id"),
            (|p| p.client_secret = String::new(), "missing"),
            (|p| p.client_secret_file = "/x".into(), "not both"),
            (|p| p.scopes = vec!["a b".into()], "scope"),
        ];
        for (change, words) in cases {
            let mut p = provider();
            change(&mut p);
            let e = check(&[p], false);
            assert!(
                matches!(&e, Err(ConfigError::Invalid(m)) if m.contains(words)),
                "{words}: {e:?}"
            );
        }
        let e = check(&[provider(), provider()], false);
        assert!(matches!(e, Err(ConfigError::Invalid(m)) if m.contains("twice")));
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:4000",
            "http://localhost:4000/oidc",
            "http://[::1]:4000",
        ] {
            let mut p = provider();
            p.issuer = ok.into();
            assert!(check(&[p], false).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:4000",
            "http://127.0.0.1.example.se",
            "http://user@127.0.0.1",
        ] {
            let mut p = provider();
            p.issuer = bad.into();
            assert!(check(&[p], false).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_login_for_admins_only_needs_a_provider() {
        assert!(check(&[], false).is_ok());
        assert!(check(&[], true).is_err());
    }

    #[test]
    fn the_secret_is_not_printed() {
        assert!(!format!("{:?}", provider()).contains("s3cret"));
    }
}
