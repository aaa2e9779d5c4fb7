//! Scanned forms: upload (strictly parsed multipart) and the logged download.

use super::*;

/// A scanned form (PDF) sent as multipart; the guard has read the body whole (bounded in size and
/// time) and checked its CSRF field. A malformed body is refused with 400 at once.
pub(super) async fn upload(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    use futures_util::StreamExt;
    let id = id.into_inner();
    let max = state.config.attachment_max_bytes;
    let bad = |e: crate::web::multipart::MultipartError| AppError::BadRequest(e.to_string());
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = crate::web::multipart::boundary(content_type).map_err(bad)?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > max + 64 * 1024 {
            return Err(AppError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let parts = crate::web::multipart::parse(&body, &boundary).map_err(bad)?;
    let (bytes, name) = match parts.iter().find(|p| p.name == "file") {
        Some(p) => (p.data.to_vec(), p.filename.clone().unwrap_or_default()),
        None => (Vec::new(), String::new()),
    };
    let ctx = staff.ctx(&state);
    let dir = std::path::PathBuf::from(&state.config.attachments_dir);
    let result = state
        .run(move |c| crate::service::attachments::add(c, &ctx, id, &bytes, &name, &dir, max))
        .await;
    match outcome(result)? {
        Outcome::Done(_) => Ok(see_other(format!("/arenden/{id}"))),
        Outcome::Invalid(errors) => show_case(&state, &staff, id, None, errors).await,
        Outcome::Notice(m) => show_case(&state, &staff, id, Some(m), FieldErrors::default()).await,
    }
}

/// Sends a scanned form; the download is in the access log.
pub(super) async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = path.into_inner();
    let ctx = staff.ctx(&state);
    let dir = std::path::PathBuf::from(&state.config.attachments_dir);
    let (file, name) = state
        .run(move |c| crate::service::attachments::download(c, &ctx, id, aid, &dir))
        .await?;
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("attachment file: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
