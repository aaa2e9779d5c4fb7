//! Errors as the user sees them: a helpful Swedish page with the right status.

use super::pages;
use crate::service::ServiceError;
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

    fn texts(&self) -> (&'static str, String) {
        if self.is_unavailable() {
            return (
                crate::messages::UNAVAILABLE_TITLE,
                crate::messages::UNAVAILABLE.into(),
            );
        }
        match self {
            AppError::Service(ServiceError::Forbidden) => (
                "Åtkomst nekad",
                "Du har inte behörighet till den här sidan eller uppgiften. Försöket har loggats. \
                 Kontakta din administratör om du behöver behörigheten."
                    .into(),
            ),
            AppError::Service(ServiceError::NotFound) => (
                "Sidan finns inte",
                "Det du sökte finns inte, eller så har det tagits bort. Kontrollera adressen."
                    .into(),
            ),
            AppError::Service(ServiceError::LinkInvalid) => {
                ("Länken fungerar inte", crate::messages::LINK_INVALID.into())
            }
            AppError::Service(ServiceError::Refused(m)) => ("Det gick inte", m.clone()),
            AppError::Service(ServiceError::Conflict(m)) => ("Ärendet har ändrats", m.clone()),
            AppError::Service(ServiceError::Invalid(_)) | AppError::BadRequest(_) => (
                "Felaktig begäran",
                "Uppgifterna kunde inte tolkas. Gå tillbaka och försök igen.".into(),
            ),
            AppError::NulByte => ("Otillåtet tecken", crate::messages::NUL_REFUSED.into()),
            AppError::Csrf => (
                "Formuläret kunde inte skickas",
                "Sidan var för gammal eller skickades från en annan webbplats. Ladda om sidan och \
                 försök igen."
                    .into(),
            ),
            AppError::RateLimited => ("För många försök", crate::messages::RATE_LIMITED.into()),
            AppError::TooLarge => (
                "För mycket data",
                "Formuläret innehöll mer data än tillåtet. Korta texterna och försök igen.".into(),
            ),
            AppError::Unsupported => (
                "Formuläret kunde inte tolkas",
                "Formuläret skickades på ett sätt som tjänsten inte tar emot.".into(),
            ),
            _ => (
                "Något gick fel",
                "Ett tekniskt fel inträffade och ingenting har sparats. Försök igen om en stund. \
                 Kvarstår felet, kontakta support och ange referensen nedan."
                    .into(),
            ),
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
            AppError::Service(ServiceError::Refused(_) | ServiceError::Conflict(_)) => {
                StatusCode::CONFLICT
            }
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
