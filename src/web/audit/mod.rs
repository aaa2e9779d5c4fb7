//! The auditor's screens: the log search with its CSV export, a citizen's extract (page and CSV),
//! entries to look at, and spot checks. Every handler takes `AuditorStaff`; a personnummer only
//! ever travels in a POST body, and paging keeps its state in hidden fields.

mod checks;
mod review;
mod search;

use checks::*;
use review::*;
use search::*;

use crate::domain::Role;
use crate::i18n::Lang;
use crate::service::audit::{self as svc, EntryView, SearchInput};
use crate::service::{FieldErrors, ServiceError};
use crate::web::download::download;
use crate::web::error::AppError;
use crate::web::pages::{self, Layout};
use crate::web::view::{Choice, pnr_display};
use crate::web::{AppState, AuditorStaff, HtmlForm};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/logg", web::get().to(search_form))
        .route("/logg", web::post().to(search))
        .route("/logg/export", web::post().to(export))
        .route("/logg/utdrag", web::get().to(extract_form))
        .route("/logg/utdrag", web::post().to(extract))
        .route("/logg/utdrag/csv", web::post().to(extract_csv))
        .route("/logg/granska", web::get().to(review))
        .route("/logg/kontroller", web::get().to(checks))
        .route("/logg/kontroller/ny", web::get().to(new_check))
        .route("/logg/kontroller/ny", web::post().to(post_check))
        .route("/logg/kontroller/{id}", web::get().to(check));
}

/// A citizen in a result: `ÅÅÅÅMMDD-NNNN` and the name (masked when protected).
pub struct CitizenItem {
    pub pnr: String,
    pub name: String,
}

/// An entry as a row of a result table.
pub struct Row {
    pub id: i64,
    pub at: String,
    pub user_name: String,
    pub user_hsa_id: String,
    pub role: String,
    pub unit_code: String,
    pub unit_name: String,
    pub action: String,
    pub case_id: Option<i64>,
    pub case_label: String,
    pub citizens: Vec<CitizenItem>,
    /// What the entry says, in the reader's language (`messages::log::log_detail_brief`).
    pub detail: String,
}

pub fn row(v: &EntryView, lang: Lang) -> Row {
    Row {
        id: v.id,
        at: svc::local(&v.at),
        user_name: v.user_name.clone(),
        user_hsa_id: v.user_hsa_id.clone(),
        role: v.role_label(),
        unit_code: v.unit_code.clone(),
        unit_name: v.unit_name.clone(),
        action: v.action.clone(),
        case_id: v.case_id,
        case_label: match (&v.diary_number, v.case_id) {
            (Some(d), _) => d.clone(),
            (None, Some(id)) => format!("nr {id}"),
            _ => String::new(),
        },
        citizens: v
            .citizens
            .iter()
            .map(|c| CitizenItem {
                pnr: pnr_display(&c.pnr),
                name: c.name.clone(),
            })
            .collect(),
        detail: crate::messages::log::log_detail_brief(lang, &v.detail),
    }
}

/// The roles to choose from in a search.
fn role_choices(selected: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.code().into(),
            label: r.label().into(),
            checked: r.code() == selected,
        })
        .collect()
}
