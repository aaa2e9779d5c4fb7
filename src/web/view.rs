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
    use chrono::{Datelike, Timelike};
    // Written out rather than by `format("%Y-%m-%d %H:%M")`, which parses its pattern again on
    // every call: a list page shows a few hundred times (bench/http, `perf`).
    let l = t.and_utc().with_timezone(&Stockholm).naive_local();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        l.year(),
        l.month(),
        l.day(),
        l.hour(),
        l.minute()
    )
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

#[cfg(test)]
mod tests {
    use super::local_time;
    use chrono::NaiveDate;

    #[test]
    fn local_time_is_swedish_wall_clock_time_in_winter_and_summer() {
        let at = |y, m, d, h, mi| {
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(h, mi, 7))
                .unwrap_or_default()
        };
        // CET (+1) in January, CEST (+2) in July; the date turns with the local midnight.
        assert_eq!(local_time(&at(2026, 1, 5, 8, 3)), "2026-01-05 09:03");
        assert_eq!(local_time(&at(2026, 7, 5, 8, 3)), "2026-07-05 10:03");
        assert_eq!(local_time(&at(2026, 12, 31, 23, 30)), "2027-01-01 00:30");
    }
}
