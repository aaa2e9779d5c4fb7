//! TOTP (RFC 6238): HMAC-SHA1, 6 digits, 30-second steps, one step of drift either way.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngCore;
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;

/// A new random secret (160 bits), base32 without padding.
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut b);
    BASE32_NOPAD.encode(&b)
}

pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The six-digit code for one step (RFC 4226 dynamic truncation).
pub fn code_at(secret_b32: &str, step: i64) -> Option<String> {
    let key = BASE32_NOPAD.decode(secret_b32.as_bytes()).ok()?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).ok()?;
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[off]) & 0x7f) << 24
        | u32::from(h[off + 1]) << 16
        | u32::from(h[off + 2]) << 8
        | u32::from(h[off + 3]);
    Some(format!("{:06}", bin % 1_000_000))
}

/// The step whose code matches, searching the current step and one either side.
/// The caller must still refuse a step at or before the last one used.
pub fn matching_step(secret_b32: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_seconds);
    [now, now - 1, now + 1]
        .into_iter()
        .find(|s| code_at(secret_b32, *s).is_some_and(|c| crate::auth::tokens::same(&c, &code)))
}

/// The `otpauth://` URI an authenticator app reads.
pub fn otpauth_uri(account: &str, secret_b32: &str) -> String {
    format!(
        "otpauth://totp/Kontosp%C3%A4rr:{account}?secret={secret_b32}&issuer=Kontosp%C3%A4rr&algorithm=SHA1&digits=6&period=30"
    )
}

/// The QR code of a URI as an SVG element (rendered on the server; no script, no inline style).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Drop the XML prolog so the SVG can stand inside HTML.
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR-kod för autentiseringsappen\"",
        1,
    ))
}

/// Groups of four for reading the secret aloud or typing it.
pub fn grouped(secret_b32: &str) -> String {
    secret_b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last six digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = BASE32_NOPAD.encode(b"12345678901234567890");
        for (t, want) in [
            (59i64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(&secret, step_of(t)).as_deref(), Some(want), "t={t}");
        }
    }

    #[test]
    fn drift_of_one_step_only() {
        let s = new_secret();
        let t = 1_700_000_000i64;
        let step = step_of(t);
        let prev = code_at(&s, step - 1).unwrap_or_default();
        let next = code_at(&s, step + 1).unwrap_or_default();
        let old = code_at(&s, step - 2).unwrap_or_default();
        assert_eq!(matching_step(&s, &prev, t), Some(step - 1));
        assert_eq!(matching_step(&s, &next, t), Some(step + 1));
        if old != prev && old != next && Some(old.clone()) != code_at(&s, step) {
            assert_eq!(matching_step(&s, &old, t), None);
        }
        assert_eq!(matching_step(&s, "12345", t), None);
        assert_eq!(matching_step(&s, "abcdef", t), None);
    }

    #[test]
    fn qr_is_an_svg_element() {
        let svg = qr_svg(&otpauth_uri("SE2321000131-P1", &new_secret())).unwrap_or_default();
        assert!(svg.starts_with("<svg role=\"img\""));
        assert!(!svg.contains("style="));
    }
}
