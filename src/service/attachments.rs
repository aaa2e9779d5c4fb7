//! Scanned paper forms (PDF) attached to a case: type checked by content, size limited, stored
//! outside the web root under a random name, every download written to the access log.

use super::cases::{record, with_case};
use super::{Ctx, FieldErrors, ServiceError};
use crate::auth::tokens;
use crate::db::attachments::{self, Attachment};
use crate::db::{self, DbConnection};
use crate::domain::Role;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A PDF by its content: the `%PDF-` header and an `%%EOF` marker near the end.
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    bytes.starts_with(b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")
}

fn invalid(message: impl Into<super::Msg>) -> ServiceError {
    let mut e = FieldErrors::default();
    e.add("file", message);
    ServiceError::Invalid(e)
}

/// The case's own name for its `n`-th scanned form (1, 2, …). The uploaded file name is never
/// stored or sent back: it is the sender's text, and a name like `x.html` must not travel with
/// the bytes.
fn stored_name(n: i64) -> String {
    format!("blankett-{n}.pdf")
}

/// The name a download is sent as: the stored one when it is one of ours (older rows may hold an
/// uploaded name), otherwise a neutral one.
fn download_name(stored: &str) -> String {
    let ours = stored
        .strip_prefix("blankett-")
        .and_then(|r| r.strip_suffix(".pdf"))
        .is_some_and(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()));
    if ours {
        stored.to_string()
    } else {
        "blankett.pdf".into()
    }
}

pub fn add(
    conn: &mut DbConnection,
    ctx: &Ctx,
    case_id: i64,
    bytes: &[u8],
    _uploaded_name: &str,
    dir: &Path,
    max_bytes: usize,
) -> Result<i64, ServiceError> {
    if bytes.is_empty() {
        return Err(invalid(crate::messages::FILE_REQUIRED));
    }
    if bytes.len() > max_bytes {
        return Err(invalid(crate::messages::file_too_large(
            max_bytes / (1024 * 1024),
        )));
    }
    if !looks_like_pdf(bytes) {
        return Err(invalid(crate::messages::FILE_NOT_PDF));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| ServiceError::Technical(format!("attachment storage missing: {e}")))?;
    let key = tokens::random_token();
    let path = dir.join(&key);
    write_private(&path, bytes)
        .map_err(|e| ServiceError::Technical(format!("attachment not stored: {e}")))?;
    let sha = hex::encode(Sha256::digest(bytes));
    let user = ctx.actor()?.user_id;
    let result = with_case(conn, ctx, case_id, "attach", |c, row, role| {
        if role != Role::Handler {
            return Err(ctx.denial(
                super::Access::HandleCases,
                super::Refusal::Role,
                Some(format!("case:{}", row.id)),
                Some(row.citizen_pnr.clone()),
                None,
            ));
        }
        // Numbered inside the case's write transaction, so two uploads never share a number.
        let name = stored_name(attachments::count_for_case(c, case_id)? + 1);
        let id = attachments::insert(
            c,
            case_id,
            &name,
            bytes.len() as i64,
            &sha,
            &key,
            Some(user),
            db::ts(ctx.now),
        )?;
        record(
            c,
            ctx,
            &row,
            Some(role),
            "attachment_added",
            Some(("Bifogade skannad blankett", &name)),
        )?;
        Ok(id)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    result
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub fn list(conn: &mut DbConnection, case_id: i64) -> Result<Vec<Attachment>, ServiceError> {
    Ok(attachments::for_case(conn, case_id)?)
}

/// The file of an attachment for someone allowed to see the case; the download is logged in
/// the same transaction.
pub fn download(
    conn: &mut DbConnection,
    ctx: &Ctx,
    case_id: i64,
    attachment_id: i64,
    dir: &Path,
) -> Result<(PathBuf, String), ServiceError> {
    with_case(conn, ctx, case_id, "download", |c, row, role| {
        let a = attachments::get(c, case_id, attachment_id)?.ok_or(ServiceError::NotFound)?;
        record(c, ctx, &row, Some(role), "attachment_download", None)?;
        Ok((dir.join(&a.storage_key), download_name(&a.filename)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_by_content_not_name() {
        assert!(looks_like_pdf(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"));
        assert!(!looks_like_pdf(b"MZ\x90\x00 not a pdf %%EOF"));
        assert!(!looks_like_pdf(b"%PDF-1.7 truncated"));
        assert!(!looks_like_pdf(b""));
    }

    #[test]
    fn names_are_the_cases_own() {
        assert_eq!(stored_name(1), "blankett-1.pdf");
        assert_eq!(stored_name(12), "blankett-12.pdf");
        assert_eq!(download_name("blankett-3.pdf"), "blankett-3.pdf");
        for old in [
            "x.html",
            "skannad blankett.pdf",
            "blankett-.pdf",
            "blankett-1.pdf.html",
            "",
        ] {
            assert_eq!(download_name(old), "blankett.pdf", "{old}");
        }
    }
}
