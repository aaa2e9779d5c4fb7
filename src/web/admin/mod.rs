//! Administration pages: staff, units, approved private care providers.

mod mail;
mod providers;
mod units;
mod users;

use mail::*;
use providers::*;
use units::*;
use users::*;

use crate::db::models::{CareProvider, Unit};
use crate::db::page::Cursor;
use crate::domain::Role;
use crate::domain::validate::has_control;
use crate::i18n::Msg;
use crate::service::admin::{self, FirstPassword, ProviderInput, UnitInput, UserInput};
use crate::service::{FieldErrors, ServiceError};
use crate::web::error::AppError;
use crate::web::pages::{self, Layout, Pager};
use crate::web::view::{Choice, see_other};
use crate::web::{AdminStaff, AppState, HtmlForm, Staff};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/anvandare", web::get().to(users))
        .route("/admin/anvandare", web::post().to(search_users))
        .route("/admin/anvandare/ny", web::get().to(new_user_form))
        .route("/admin/anvandare/ny", web::post().to(create_user))
        .route("/admin/anvandare/{id}", web::get().to(edit_user_form))
        .route("/admin/anvandare/{id}", web::post().to(update_user))
        .route(
            "/admin/anvandare/{id}/aterstall",
            web::post().to(reset_login),
        )
        .route("/admin/enheter", web::get().to(units))
        .route("/admin/enheter/ny", web::get().to(new_unit_form))
        .route("/admin/enheter/ny", web::post().to(create_unit))
        .route("/admin/enheter/{id}", web::get().to(edit_unit_form))
        .route("/admin/enheter/{id}", web::post().to(update_unit))
        .route(
            "/admin/enheter/{id}/certifikat",
            web::post().to(set_certificate),
        )
        .route("/admin/post", web::get().to(mail))
        .route("/admin/post/{id}/skicka-igen", web::post().to(resend))
        .route("/admin/vardgivare", web::get().to(providers))
        .route("/admin/vardgivare", web::post().to(add_provider))
        .route(
            "/admin/vardgivare/{id}/godkand",
            web::post().to(set_provider),
        );
}

async fn index(_staff: AdminStaff) -> Result<HttpResponse, AppError> {
    Ok(see_other("/admin/anvandare"))
}

/// A list's address: its page key and selection. Unknown parameters are ignored (a search term
/// in an old bookmark: searches are POSTs).
#[derive(serde::Deserialize)]
struct ListQuery {
    efter: Option<String>,
    fore: Option<String>,
    sparad: Option<String>,
    /// A selection the start page links to (`ofullstandig` users; `utan-chef`,
    /// `utan-certifikat`, `certifikat` units).
    urval: Option<String>,
}
