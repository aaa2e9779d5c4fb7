//! Case screens: lists, the case form, the case page with its actions, the handler's queue,
//! search, emergency calls, paper forms and the diary.

mod attachments;
mod blank;
mod diary;
mod emergency;
mod form;
mod lists;
mod now;
mod page;
mod paper;
mod review;
pub mod words;

use attachments::*;
use blank::*;
use diary::*;
use emergency::*;
use form::*;
use lists::*;
use now::*;
use page::*;
use paper::*;
use review::*;

use super::view::{Choice, local_time, pnr_display, see_other};
use crate::db::models::CaseSummary;
use crate::domain::Role;
use crate::domain::case::{Kind, Status};
use crate::domain::grounds::{self, BASIS, NOT_INFORMED, REQUESTED_BY, RISKS, SITUATIONS};
use crate::service::cases::{self, CallInput, CaseInput, CaseView, ExecuteInput};
use crate::service::{Access, FieldErrors, ServiceError};
use crate::web::error::{AppError, Outcome, outcome};
use crate::web::pages::{self, Layout, Pager};
use crate::web::principal::{AsStaff, PageStaff};
use crate::web::{AppState, HandlerStaff, HtmlForm, Staff};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Datelike;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/arenden", web::get().to(list))
        // Before `/arenden/{id}`, which would take `csv` for an id.
        .route("/arenden/csv", web::get().to(list_csv))
        .route("/arenden/ny", web::get().to(new_form))
        .route("/arenden/ny", web::post().to(create))
        .route("/arenden/{id}", web::get().to(show))
        .route("/arenden/{id}/visa-namn", web::post().to(reveal))
        .route("/arenden/{id}/andra", web::get().to(edit_form))
        .route("/arenden/{id}/andra", web::post().to(update))
        .route("/arenden/{id}/blankett", web::get().to(link_form_page))
        .route("/arenden/{id}/blankett", web::post().to(link_form))
        .route("/arenden/{id}/omprovning", web::get().to(review_form))
        .route("/arenden/{id}/omprovning", web::post().to(review))
        .route("/omprovningar", web::get().to(reviews))
        .route("/arenden/{id}/bilagor", web::post().to(upload))
        .route("/arenden/{id}/bilagor/{aid}", web::get().to(download))
        .route("/arenden/{id}/{action}", web::post().to(act))
        .route("/handlaggning", web::get().to(queue))
        .route("/last-nu", web::get().to(now_form))
        .route("/last-nu", web::post().to(now))
        .route("/sok", web::get().to(search_form))
        .route("/sok", web::post().to(search))
        .route("/nodtelefon", web::get().to(call_form))
        .route("/nodtelefon", web::post().to(call))
        .route("/blankett", web::get().to(paper_form))
        .route("/blankett", web::post().to(paper))
        .route("/blankett/tom", web::get().to(blank_form))
        .route("/diarium", web::get().to(diary))
        .route("/diarium/utskrift", web::get().to(diary_print))
        .route("/diarium/csv", web::get().to(diary_csv));
}

/// A case as a row of a list: the name is masked for protected citizens.
pub struct CaseItem {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub pnr: String,
    pub name: String,
    pub diary: String,
    pub updated: String,
    pub submitted: String,
    pub channel: String,
}

fn item(lang: crate::i18n::Lang, r: &CaseSummary) -> CaseItem {
    CaseItem {
        id: r.id,
        kind: words::kind(lang, r.kind),
        status: words::status(lang, r.status),
        pnr: pnr_display(&r.citizen_pnr),
        name: crate::domain::personnummer::shown(&r.citizen_name, r.citizen_protected),
        diary: r.diary_number.clone().unwrap_or_default(),
        updated: local_time(&r.updated_at),
        submitted: r.submitted_at.as_ref().map(local_time).unwrap_or_default(),
        channel: words::channel(lang, r.channel),
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    typ: Option<String>,
}
