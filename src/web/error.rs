//! Errors as the user sees them: a helpful page in the request's language with the right status;
//! for a form, what its service call came to (`Outcome`: the form again, a notice, or the error
//! page).

use super::pages;
use crate::i18n::Msg;
use crate::messages;
use crate::service::{FieldErrors, ServiceError};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("login required")]
    LoginRequired,
    #[error("redirect to {0}")]
    Redirect(String),
    #[error("csrf")]
    Csrf,
    #[error("too many requests")]
    RateLimited,
    #[error("payload too large")]
    TooLarge,
    #[error("unsupported form encoding")]
    Unsupported,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("a NUL byte in the request")]
    NulByte,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::Service(ServiceError::Pool(e))
    }
}

impl AppError {
    /// The database is down or out of connections.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AppError::Service(e) if e.is_unavailable())
    }

    /// The error page's title (a catalog key) and message, worded when the page is rendered in
    /// the request's language.
    fn texts(&self) -> (&'static str, Msg) {
        if self.is_unavailable() {
            return (messages::UNAVAILABLE_TITLE.0, messages::UNAVAILABLE.into());
        }
        let key = |title: &'static str, message: &'static str| (title, Msg::key(message));
        match self {
            AppError::Service(ServiceError::Forbidden) => {
                key("error-forbidden-title", "error-forbidden")
            }
            AppError::Service(ServiceError::NotFound) => {
                key("error-not-found-title", "error-not-found")
            }
            AppError::Service(ServiceError::LinkInvalid) => {
                ("error-link-title", messages::LINK_INVALID.into())
            }
            AppError::Service(ServiceError::Declined(reason)) => {
                ("error-refused-title", reason.msg())
            }
            AppError::Service(ServiceError::Refused(m)) => ("error-refused-title", m.clone()),
            AppError::Service(ServiceError::Conflict(m)) => ("error-conflict-title", m.clone()),
            AppError::Service(ServiceError::Invalid(_)) | AppError::BadRequest(_) => {
                key("error-bad-request-title", "error-bad-request")
            }
            AppError::NulByte => ("error-nul-title", messages::NUL_REFUSED.into()),
            AppError::Csrf => key("error-csrf-title", "error-csrf"),
            AppError::RateLimited => ("error-rate-title", messages::RATE_LIMITED.into()),
            AppError::TooLarge => key("error-too-large-title", "error-too-large"),
            AppError::Unsupported => key("error-unsupported-title", "error-unsupported"),
            _ => key("error-internal-title", "error-internal"),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        if self.is_unavailable() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        match self {
            AppError::Service(ServiceError::Forbidden) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Service(ServiceError::NotFound) => StatusCode::NOT_FOUND,
            AppError::Service(ServiceError::LinkInvalid) => StatusCode::GONE,
            AppError::Service(
                ServiceError::Declined(_) | ServiceError::Refused(_) | ServiceError::Conflict(_),
            ) => StatusCode::CONFLICT,
            AppError::Service(ServiceError::Invalid(_))
            | AppError::BadRequest(_)
            | AppError::NulByte => StatusCode::BAD_REQUEST,
            AppError::Service(ServiceError::LoginFailed) => StatusCode::UNAUTHORIZED,
            AppError::LoginRequired | AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::LoginRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/login"))
                    .finish();
            }
            AppError::Redirect(to) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to.as_str()))
                    .finish();
            }
            _ => {}
        }
        let status = self.status_code();
        if status.is_server_error() {
            // The cause goes to the log (it never holds personal data: ids and codes only).
            tracing::error!(error = %self, "request failed");
        }
        let (title, message) = self.texts();
        let mut res = pages::error_page(status, title, &message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("10"));
        }
        res
    }
}

/// What a form's service call came to: done, or the form again with the errors beside the
/// fields, or the page again with a notice (refused by a rule, or changed by someone else),
/// worded in the request's language.
pub enum Outcome<T> {
    Done(T),
    Invalid(FieldErrors),
    Notice(String),
}

/// Sorts a service call's result into an `Outcome`; any other error is the error page.
pub fn outcome<T>(result: Result<T, AppError>) -> Result<Outcome<T>, AppError> {
    match result {
        Ok(v) => Ok(Outcome::Done(v)),
        Err(AppError::Service(ServiceError::Invalid(errors))) => Ok(Outcome::Invalid(errors)),
        Err(AppError::Service(ServiceError::Refused(m) | ServiceError::Conflict(m))) => {
            Ok(Outcome::Notice(m.in_lang(super::request::request_lang())))
        }
        Err(AppError::Service(ServiceError::Declined(reason))) => Ok(Outcome::Notice(
            reason.msg().in_lang(super::request::request_lang()),
        )),
        Err(e) => Err(e),
    }
}
