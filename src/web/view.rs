//! What every page handler shares: redirects, Swedish local time, personnummer display, form
//! choices.

use crate::domain::Personnummer;
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
