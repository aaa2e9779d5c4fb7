//! Strong login: passwords (argon2id), TOTP (RFC 6238), tokens, rate limits.

pub mod clientcert;
pub mod password;
pub mod ratelimit;
pub mod secrets;
pub mod tokens;
pub mod totp;
