//! What every page handler shares: redirects, Swedish local time, personnummer display, form
//! choices, and what a form's service call came to.

use crate::domain::Personnummer;
use crate::service::{FieldErrors, ServiceError};
use crate::web::error::AppError;
use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use chrono::NaiveDateTime;
use chrono_tz::Europe::Stockholm;

/// 303 to another page (after a successful POST).
pub fn see_other(to: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to.into()))
        .finish()
}

/// A stored UTC time as Swedes read it.
pub fn local_time(t: &NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Twelve stored digits as `ÅÅÅÅMMDD-NNNN`.
pub fn pnr_display(digits: &str) -> String {
    Personnummer::display_digits(digits)
}

/// A checkbox, radio button or option in a form.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
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
            Ok(Outcome::Notice(m.in_lang(super::guard::request_lang())))
        }
        Err(AppError::Service(ServiceError::Declined(reason))) => Ok(Outcome::Notice(
            reason.msg().in_lang(super::guard::request_lang()),
        )),
        Err(e) => Err(e),
    }
}
