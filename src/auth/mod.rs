//! Strong login: passwords (argon2id), TOTP (RFC 6238), tokens, rate limits, and the OpenID
//! Connect relying party.

pub mod clientcert;
pub mod oidc;
pub mod password;
pub mod ratelimit;
pub mod secrets;
pub mod tokens;
pub mod totp;
