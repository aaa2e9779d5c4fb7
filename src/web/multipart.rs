//! A strict `multipart/form-data` reader (RFC 7578) over a body the guard has already read whole
//! and bounded. A body that ends before its closing boundary, or is malformed in any other way,
//! is an error at once — never a wait for data that will not come.

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("no boundary in the content type")]
    NoBoundary,
    #[error("the body does not start with the boundary")]
    NoFirstBoundary,
    #[error("the body ends before the closing boundary")]
    Incomplete,
    #[error("a part's headers are malformed")]
    BadHeaders,
    #[error("a part has no name")]
    NoName,
    #[error("too many parts")]
    TooManyParts,
}

/// At most this many parts: a scanned form and its token.
pub const MAX_PARTS: usize = 16;
/// At most this many bytes of headers per part.
const MAX_HEADERS: usize = 4096;

/// The boundary parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let (mime, params) = content_type
        .split_once(';')
        .ok_or(MultipartError::NoBoundary)?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NoBoundary);
    }
    params
        .split(';')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| {
            !b.is_empty() && b.len() <= 70 && b.bytes().all(|c| c.is_ascii_graphic() || c == b' ')
        })
        .ok_or(MultipartError::NoBoundary)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splits the body into its parts. The whole body must be there, closing boundary included.
pub fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, MultipartError> {
    let dash = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    // The first boundary: at the start, or after a preamble ending in CRLF.
    let mut rest = if body.starts_with(dash.as_bytes()) {
        &body[dash.len()..]
    } else {
        let at = find(body, delimiter.as_bytes()).ok_or(MultipartError::NoFirstBoundary)?;
        &body[at + delimiter.len()..]
    };
    let mut parts = Vec::new();
    loop {
        // After a boundary: "--" closes the body, CRLF starts a part.
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(if rest.len() < 2 {
            MultipartError::Incomplete
        } else {
            MultipartError::BadHeaders
        })?;
        if parts.len() == MAX_PARTS {
            return Err(MultipartError::TooManyParts);
        }
        let head_end = find(rest, b"\r\n\r\n").ok_or(if rest.len() > MAX_HEADERS {
            MultipartError::BadHeaders
        } else {
            MultipartError::Incomplete
        })?;
        if head_end > MAX_HEADERS {
            return Err(MultipartError::BadHeaders);
        }
        let headers =
            std::str::from_utf8(&rest[..head_end]).map_err(|_| MultipartError::BadHeaders)?;
        let (name, filename) = disposition(headers)?;
        let content = &rest[head_end + 4..];
        let end = find(content, delimiter.as_bytes()).ok_or(MultipartError::Incomplete)?;
        parts.push(Part {
            name,
            filename,
            data: &content[..end],
        });
        rest = &content[end + delimiter.len()..];
    }
}

/// The name and file name of a part's `Content-Disposition: form-data` header.
fn disposition(headers: &str) -> Result<(String, Option<String>), MultipartError> {
    let mut found = None;
    for line in headers.split("\r\n") {
        let (k, v) = line.split_once(':').ok_or(MultipartError::BadHeaders)?;
        if !k.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        let mut params = v.split(';');
        if !params
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("form-data"))
        {
            return Err(MultipartError::BadHeaders);
        }
        let (mut name, mut filename) = (None, None);
        for p in params {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v)
                .to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v),
                "filename" => filename = Some(v),
                _ => {}
            }
        }
        found = Some((name.ok_or(MultipartError::NoName)?, filename));
    }
    found.ok_or(MultipartError::NoName)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body(b: &str, parts: &[(&str, Option<&str>, &[u8])], close: bool) -> Vec<u8> {
        let mut v = Vec::new();
        for (name, file, data) in parts {
            v.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(f) = file {
                v.extend_from_slice(
                    format!("; filename=\"{f}\"\r\nContent-Type: application/pdf").as_bytes(),
                );
            }
            v.extend_from_slice(b"\r\n\r\n");
            v.extend_from_slice(data);
            v.extend_from_slice(b"\r\n");
        }
        if close {
            v.extend_from_slice(format!("--{b}--\r\n").as_bytes());
        }
        v
    }

    #[test]
    fn reads_a_token_and_a_file() {
        let b = body(
            "XyZ",
            &[
                ("csrf_token", None, b"abc"),
                ("file", Some("x.pdf"), b"%PDF-1.4\r\n--X"),
            ],
            true,
        );
        let Ok(parts) = parse(&b, "XyZ") else {
            panic!("a whole body is read");
        };
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].data),
            ("csrf_token", &b"abc"[..])
        );
        assert_eq!(parts[1].filename.as_deref(), Some("x.pdf"));
        assert_eq!(parts[1].data, b"%PDF-1.4\r\n--X");
    }

    #[test]
    fn a_body_without_its_closing_boundary_is_incomplete() {
        // The request that hung the server: only the token part, no closing boundary.
        let b = body("XyZ", &[("csrf_token", None, b"abc")], false);
        assert_eq!(parse(&b, "XyZ"), Err(MultipartError::Incomplete));
        assert_eq!(
            parse(
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n",
                "XyZ"
            ),
            Err(MultipartError::Incomplete)
        );
        assert_eq!(parse(b"--XyZ", "XyZ"), Err(MultipartError::Incomplete));
        assert_eq!(parse(b"", "XyZ"), Err(MultipartError::NoFirstBoundary));
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc")
                .ok()
                .as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"")
                .ok()
                .as_deref(),
            Some("a b")
        );
        assert!(boundary("multipart/form-data").is_err());
        assert!(boundary("text/plain; boundary=abc").is_err());
        assert!(boundary("multipart/form-data; boundary=").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&data, "XyZ");
        }

        #[test]
        fn whole_bodies_read_back_and_cut_ones_fail(
            values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..5),
            cut in any::<prop::sample::Index>(),
        ) {
            let names: Vec<String> = (0..values.len()).map(|i| format!("f{i}")).collect();
            let parts: Vec<(&str, Option<&str>, &[u8])> = names
                .iter()
                .zip(&values)
                .map(|(n, v)| (n.as_str(), None, v.as_slice()))
                .collect();
            // Values that contain the delimiter cannot be sent with this boundary.
            prop_assume!(values.iter().all(|v| find(v, b"\r\n--XyZ").is_none()));
            let b = body("XyZ", &parts, true);
            let read = parse(&b, "XyZ");
            prop_assert!(read.is_ok(), "{:?}", read);
            let read = read.unwrap_or_default();
            prop_assert_eq!(read.len(), values.len());
            for (p, v) in read.iter().zip(&values) {
                prop_assert_eq!(p.data, v.as_slice());
            }
            // Any cut before the closing "--" is an error, never a part list.
            let closing = b.len() - b"--XyZ--\r\n".len();
            let at = cut.index(closing + 2);
            prop_assert!(parse(&b[..at], "XyZ").is_err());
        }
    }
}
