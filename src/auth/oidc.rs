//! The OpenID Connect relying party: the authorization code flow with PKCE, state and nonce
//! against the providers of the configuration (`oidc_providers`), on the `openidconnect` crate.
//!
//! A provider's discovery document and keys are read at its first login (so that the service
//! starts while a provider is down) and kept for an hour; an ID token signed with a key id the
//! kept set lacks makes the keys be read again once (the provider rotated them). The ID token's
//! signature (asymmetric algorithms only), issuer, audience, expiry, issue time and nonce are
//! checked here; the assurance level (`acr`) and the HSA-ID are left to the caller, which
//! decides who gets in. HTTP goes through `awc` (OpenSSL), with a timeout, no redirects and a
//! bounded body.

use crate::config::OidcProvider;
use crate::i18n::{Arg, Msg};
use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, JsonWebKeySet, LanguageTag, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a provider's discovery document and keys are kept.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// A back-channel request to a provider (discovery, keys, token) gives up after this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from a provider.
const HTTP_BODY_LIMIT: usize = 1024 * 1024;
/// An ID token issued further in the future than this (the provider's clock ahead) is refused.
const IAT_SKEW_SECONDS: i64 = 300;
/// A login must come back from the provider within this long.
pub const PENDING_MAX_SECONDS: i64 = 600;

/// Why a login through a provider did not go through. Each is written to the access log
/// ([`OidcError::log_msg`], worded in the auditor's language); the user sees the same
/// answer as for a failed password login, or the assurance page for [`OidcError::AcrTooLow`].
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("provider unreachable or answered badly: {0}")]
    Unreachable(String),
    #[error("the provider refused the code: {0}")]
    TokenRefused(String),
    #[error("the provider sent no ID token")]
    NoIdToken,
    #[error("the provider answered with an error: {0}")]
    ProviderError(String),
    #[error("no login under way, or its state was used already")]
    UnknownState,
    #[error("the state does not match the login under way")]
    StateMismatch,
    #[error("the login under way is too old")]
    TooOld,
    #[error("ID token issuer: {0}")]
    Issuer(String),
    #[error("ID token audience: {0}")]
    Audience(String),
    #[error("ID token expired: {0}")]
    Expired(String),
    #[error("ID token signature: {0}")]
    Signature(String),
    #[error("ID token nonce: {0}")]
    Nonce(String),
    #[error("ID token: {0}")]
    Invalid(String),
    #[error("assurance level {got:?} is below {required}")]
    AcrTooLow {
        required: String,
        got: Option<String>,
    },
    #[error("the ID token has no usable HSA-ID in claim {0}")]
    NoHsaId(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl OidcError {
    /// The access log's words for the refusal (no token contents, no personal data): a catalog
    /// message, worded when an auditor reads it (`messages::log::log_detail`).
    pub fn log_msg(&self) -> Msg {
        let cut = |s: &str| s.chars().take(200).collect::<String>();
        let with = |key: &'static str, e: &str| Msg::key(key).arg("error", cut(e));
        match self {
            OidcError::Unreachable(e) => with("log-oidc-unreachable", e),
            OidcError::TokenRefused(e) => with("log-oidc-token-refused", e),
            OidcError::NoIdToken => Msg::key("log-oidc-no-id-token"),
            OidcError::ProviderError(e) if e.is_empty() => Msg::key("log-oidc-provider-error")
                .arg("error", Arg::Key("log-oidc-unknown-code".into())),
            OidcError::ProviderError(e) => with("log-oidc-provider-error", e),
            OidcError::UnknownState => Msg::key("log-oidc-unknown-state"),
            OidcError::StateMismatch => Msg::key("log-oidc-state-mismatch"),
            OidcError::TooOld => Msg::key("log-oidc-too-old"),
            OidcError::Issuer(_) => Msg::key("log-oidc-issuer"),
            OidcError::Audience(_) => Msg::key("log-oidc-audience"),
            OidcError::Expired(_) => Msg::key("log-oidc-expired"),
            OidcError::Signature(e) => with("log-oidc-signature", e),
            OidcError::Nonce(_) => Msg::key("log-oidc-nonce"),
            OidcError::Invalid(e) => with("log-oidc-invalid", e),
            OidcError::AcrTooLow { required, got } => Msg::key("log-oidc-acr-too-low")
                .arg(
                    "got",
                    match got {
                        Some(g) => Arg::Str(g.clone()),
                        None => Arg::Key("log-oidc-no-acr".into()),
                    },
                )
                .arg("required", required.as_str()),
            OidcError::NoHsaId(claim) => {
                Msg::key("log-oidc-no-hsa-id").arg("claim", claim.as_str())
            }
            OidcError::Config(e) => with("log-oidc-config", e),
        }
    }
}

/// A login under way, kept (sealed) on the visitor's anonymous session until the provider
/// sends them back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Unix seconds.
    pub started: i64,
}

/// What a checked ID token says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The configured claim's value, as sent (the caller parses it as an HSA-ID).
    pub hsa_id: String,
    pub acr: Option<String>,
    /// The ID token itself, for logging out at the provider (`id_token_hint`).
    pub id_token: String,
}

/// The configured providers and what was learnt from them.
pub struct Registry {
    providers: Vec<Provider>,
}

pub struct Provider {
    pub config: OidcProvider,
    known: Mutex<Option<Arc<Known>>>,
}

/// A provider's discovery document and keys, as read at `read_at`.
struct Known {
    metadata: ProviderMetadataWithLogout,
    keys: CoreJsonWebKeySet,
    read_at: Instant,
}

impl Registry {
    pub fn new(providers: &[OidcProvider]) -> Registry {
        Registry {
            providers: providers
                .iter()
                .map(|p| Provider {
                    config: p.clone(),
                    known: Mutex::new(None),
                })
                .collect(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    /// `(id, name)` of each provider, in the configuration's order (the login page's buttons).
    pub fn buttons(&self) -> Vec<(String, String)> {
        self.providers
            .iter()
            .map(|p| (p.config.id.clone(), p.config.name.clone()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

/// An HTTP failure talking to a provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// One back-channel request through `awc` (OpenSSL for https): no redirects, a timeout, a
/// bounded body. A client per request: logins are rare, and `awc::Client` is tied to its thread.
async fn http_call(
    req: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(HTTP_TIMEOUT)
        .finish();
    let method = awc::http::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|e| HttpError(e.to_string()))?;
    let mut out = client.request(method, req.uri().to_string());
    for (name, value) in req.headers() {
        out = out.insert_header((name.as_str(), value.as_bytes()));
    }
    let mut res = out
        .send_body(req.body().clone())
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let body = res
        .body()
        .limit(HTTP_BODY_LIMIT)
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let mut answer = openidconnect::http::Response::builder().status(res.status().as_u16());
    for (name, value) in res.headers() {
        answer = answer.header(name.as_str(), value.as_bytes());
    }
    answer
        .body(body.to_vec())
        .map_err(|e| HttpError(e.to_string()))
}

/// The signature algorithms accepted: asymmetric only (an HMAC under the client secret would
/// let anyone holding the secret make tokens).
fn allowed_algs() -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm as A;
    vec![
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::RsaSsaPssSha256,
        A::RsaSsaPssSha384,
        A::RsaSsaPssSha512,
        A::EcdsaP256Sha256,
        A::EcdsaP384Sha384,
        A::EdDsa,
    ]
}

impl Provider {
    /// The discovery document and keys: kept ones while fresh, else read now.
    async fn known(&self) -> Result<Arc<Known>, OidcError> {
        if let Some(k) = self.cached()
            && k.read_at.elapsed() < METADATA_TTL
        {
            return Ok(k);
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| OidcError::Config(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &http_call)
            .await
            .map_err(|e| OidcError::Unreachable(error_chain(&e)))?;
        let keys = metadata.jwks().clone();
        Ok(self.keep(metadata, keys))
    }

    fn cached(&self) -> Option<Arc<Known>> {
        self.known.lock().ok().and_then(|k| k.clone())
    }

    fn keep(&self, metadata: ProviderMetadataWithLogout, keys: CoreJsonWebKeySet) -> Arc<Known> {
        let known = Arc::new(Known {
            metadata,
            keys,
            read_at: Instant::now(),
        });
        if let Ok(mut slot) = self.known.lock() {
            *slot = Some(known.clone());
        }
        known
    }

    /// Reads the provider's keys again (an ID token named a key id we do not have).
    async fn refresh_keys(&self, known: &Known) -> Result<Arc<Known>, OidcError> {
        let keys = JsonWebKeySet::fetch_async(known.metadata.jwks_uri(), &http_call)
            .await
            .map_err(|e| OidcError::Unreachable(error_chain(&e)))?;
        tracing::info!(provider = %self.config.id, "OpenID Connect keys read again");
        Ok(self.keep(known.metadata.clone(), keys))
    }

    fn client_secret(&self) -> Result<ClientSecret, OidcError> {
        self.config
            .client_secret()
            .map(ClientSecret::new)
            .map_err(|e| OidcError::Config(e.to_string()))
    }

    fn redirect(redirect_uri: &str) -> Result<RedirectUrl, OidcError> {
        RedirectUrl::new(redirect_uri.to_string()).map_err(|e| OidcError::Config(e.to_string()))
    }

    /// Where to send the visitor to log in, and what to keep until they come back.
    pub async fn start(
        &self,
        redirect_uri: &str,
        ui_locale: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, Pending), OidcError> {
        let known = self.known().await?;
        let client = CoreClient::from_provider_metadata(
            known.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(self.client_secret()?),
        )
        .set_redirect_uri(Self::redirect(redirect_uri)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .add_ui_locale(LanguageTag::new(ui_locale.to_string()));
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if !self.config.required_acr.trim().is_empty() {
            request = request.add_auth_context_value(AuthenticationContextClass::new(
                self.config.required_acr.trim().to_string(),
            ));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            Pending {
                provider: self.config.id.clone(),
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                started: now.timestamp(),
            },
        ))
    }

    /// The provider sent the visitor back with `code`: redeems it (with the PKCE verifier) and
    /// checks the ID token against `pending` at `now`.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        pending: &Pending,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, OidcError> {
        let known = self.known().await?;
        let client = CoreClient::from_provider_metadata(
            known.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(self.client_secret()?),
        )
        .set_redirect_uri(Self::redirect(redirect_uri)?);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&http_call)
            .await
            .map_err(|e| match &e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    OidcError::TokenRefused(r.error().to_string())
                }
                _ => OidcError::Unreachable(error_chain(&e)),
            })?;
        let id_token = token.id_token().ok_or(OidcError::NoIdToken)?.clone();
        let nonce = Nonce::new(pending.nonce.clone());
        let acr = match self.check(&known, &id_token, &nonce, now) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key id we do not know: the provider may have rotated its keys.
                let known = self.refresh_keys(&known).await?;
                self.check(&known, &id_token, &nonce, now)
            }
            other => other,
        }
        .map_err(claims_error)?;
        let raw = id_token.to_string();
        let hsa_id = claim(&raw, &self.config.hsa_id_claim)
            .ok_or_else(|| OidcError::NoHsaId(self.config.hsa_id_claim.clone()))?;
        Ok(Verified {
            hsa_id,
            acr,
            id_token: raw,
        })
    }

    /// Signature, issuer, audience, expiry, issue time and nonce; returns the `acr`.
    fn check(
        &self,
        known: &Known,
        id_token: &CoreIdToken,
        nonce: &Nonce,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ClaimsVerificationError> {
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(self.config.client_id.clone()),
            known.metadata.issuer().clone(),
            known.keys.clone(),
        )
        .set_allowed_algs(allowed_algs())
        .set_time_fn(move || now)
        .set_issue_time_verifier_fn(move |iat| {
            if iat > now + chrono::Duration::seconds(IAT_SKEW_SECONDS) {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        });
        let claims = id_token.claims(&verifier, nonce)?;
        Ok(claims.auth_context_ref().map(|a| a.as_str().to_string()))
    }

    /// The provider's logout page for a session its `id_token` began (RP-initiated logout), or
    /// None when the provider offers none (or cannot be reached: the local logout stands).
    pub async fn end_session_url(
        &self,
        id_token: Option<&str>,
        post_logout_redirect_uri: &str,
        ui_locale: &str,
    ) -> Option<String> {
        let known = match self.known().await {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(provider = %self.config.id, error = %e, "no logout at the provider");
                return None;
            }
        };
        let endpoint = known
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut url = endpoint.url().clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(t) = id_token {
                q.append_pair("id_token_hint", t);
            }
            q.append_pair("client_id", &self.config.client_id)
                .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
                .append_pair("ui_locales", ui_locale);
        }
        Some(url.to_string())
    }
}

fn claims_error(e: ClaimsVerificationError) -> OidcError {
    use ClaimsVerificationError as C;
    match e {
        C::InvalidAudience(m) => OidcError::Audience(m),
        C::Expired(m) => OidcError::Expired(m),
        C::InvalidIssuer(m) => OidcError::Issuer(m),
        C::InvalidNonce(m) => OidcError::Nonce(m),
        C::SignatureVerification(s) => OidcError::Signature(s.to_string()),
        other => OidcError::Invalid(other.to_string()),
    }
}

/// An error and its sources, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A string claim of a compact JWT whose signature has been checked (the payload is read
/// again as JSON: the HSA-ID's claim name is the configuration's, often a URI).
fn claim(jwt: &str, name: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(payload.trim_end_matches('=').as_bytes())
        .ok()?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).ok()?;
    map.get(name)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_read_from_the_payload() {
        let payload = data_encoding::BASE64URL_NOPAD.encode(
            br#"{"sub":"abc","http://sambi.se/attributes/1/employeeHsaId":"SE2321000131-E000000000101","n":3}"#,
        );
        let jwt = format!("e30.{payload}.c2ln");
        assert_eq!(
            claim(&jwt, "http://sambi.se/attributes/1/employeeHsaId").as_deref(),
            Some("SE2321000131-E000000000101")
        );
        assert_eq!(claim(&jwt, "sub").as_deref(), Some("abc"));
        assert_eq!(claim(&jwt, "n"), None);
        assert_eq!(claim(&jwt, "missing"), None);
        assert_eq!(claim("garbage", "sub"), None);
    }

    #[test]
    fn refusals_are_logged_without_token_contents() {
        let e = OidcError::AcrTooLow {
            required: "http://id.elegnamnden.se/loa/1.0/loa3".into(),
            got: Some("http://id.elegnamnden.se/loa/1.0/loa2".into()),
        };
        assert!(e.log_msg().to_string().contains("loa2"));
        assert!(
            OidcError::Signature("x".repeat(1000))
                .log_msg()
                .to_string()
                .len()
                < 300
        );
    }
}
