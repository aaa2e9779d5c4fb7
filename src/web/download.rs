//! File downloads: a CSV export written by a service into a private spool file (0600, unlinked at
//! once) inside its transaction, then streamed in 64 KiB chunks; or a small file answered whole.

use super::AppState;
use super::error::AppError;
use crate::service::{Exported, ServiceError};
use actix_web::{HttpResponse, web};

/// A CSV download: the file the service wrote (already unlinked), streamed in chunks.
pub(crate) fn csv_response(file: std::fs::File, name: &str, capped: bool) -> HttpResponse {
    use std::io::Read;
    let stream = futures_util::stream::unfold(Some(file), |state| async move {
        let mut f = state?;
        let read = web::block(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((f, buf))
        })
        .await;
        match read {
            Ok(Ok((f, buf))) if !buf.is_empty() => {
                Some((Ok::<_, actix_web::Error>(web::Bytes::from(buf)), Some(f)))
            }
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("X-Export-Capped", if capped { "true" } else { "false" }))
        .streaming(stream)
}

/// A file for an export: private (0600), and unlinked at once, so that nothing is left on disk
/// once the response has been sent (or the process dies).
pub(crate) fn spool() -> Result<std::fs::File, AppError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = std::env::temp_dir().join(format!(
        "kontosparr-export-{}.csv",
        crate::auth::tokens::random_token()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| AppError::Internal(format!("export file: {e}")))?;
    std::fs::remove_file(&path).map_err(|e| AppError::Internal(format!("export file: {e}")))?;
    Ok(file)
}

/// Runs an export into a spooled file and answers with it.
pub(crate) async fn download<F>(
    state: &web::Data<AppState>,
    name: &str,
    write: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(
            &mut crate::db::DbConnection,
            &mut dyn std::io::Write,
        ) -> Result<Exported, ServiceError>
        + Send
        + 'static,
{
    use std::io::Seek;
    let file = spool()?;
    let (file, done) = state
        .run(move |c| {
            let mut out = std::io::BufWriter::new(file);
            let done = write(c, &mut out)?;
            let mut file = out.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            Ok((file, done))
        })
        .await?;
    Ok(csv_response(file, name, done.capped))
}

/// A small CSV file answered whole (no citizen data, e.g. the diary).
pub(crate) fn csv_file(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}
