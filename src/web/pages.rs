//! Page structs (askama templates) and the shared layout.

use crate::domain::Role;
use crate::service::{Actor, FieldErrors};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use askama::Template;

/// A link in the main navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// Set once at start in demo mode: every page then carries the DEMO banner.
pub static DEMO_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn is_demo() -> bool {
    DEMO_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

/// What the frame of every page needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub user_roles: String,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub demo: bool,
    /// The language of the page (`<html lang>` and every `t` lookup).
    pub lang: crate::i18n::Lang,
}

impl Layout {
    /// A text of the message catalog in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A page for visitors in the language their browser asks for.
    pub fn public_in(lang: crate::i18n::Lang, title_key: &str) -> Self {
        Layout {
            title: lang.t(title_key),
            demo: is_demo(),
            lang,
            ..Default::default()
        }
    }

    pub fn public(title: &str) -> Self {
        Layout {
            title: title.to_string(),
            demo: is_demo(),
            ..Default::default()
        }
    }

    pub fn staff(title: &str, actor: &Actor, csrf: &str) -> Self {
        let mut nav = vec![NavLink {
            href: "/",
            label: "Start",
        }];
        let unit_staff = actor.has(Role::Clinician) || actor.has(Role::Manager);
        if unit_staff || actor.has(Role::ChiefPhysician) || actor.has(Role::Handler) {
            nav.push(NavLink {
                href: "/arenden",
                label: "Ärenden",
            });
            nav.push(NavLink {
                href: "/last-nu",
                label: "Är invånaren låst?",
            });
        }
        if unit_staff {
            nav.push(NavLink {
                href: "/arenden/ny",
                label: "Ny begäran",
            });
        }
        if unit_staff || actor.has(Role::ChiefPhysician) {
            nav.push(NavLink {
                href: "/omprovningar",
                label: "Omprövningar",
            });
        }
        if actor.has(Role::Handler) {
            nav.push(NavLink {
                href: "/handlaggning",
                label: "Handläggning",
            });
            nav.push(NavLink {
                href: "/nodtelefon",
                label: "Nödtelefon",
            });
            nav.push(NavLink {
                href: "/blankett",
                label: "Pappersblankett",
            });
            nav.push(NavLink {
                href: "/sok",
                label: "Sök personnummer",
            });
        }
        if actor.has(Role::Handler) || actor.has(Role::Auditor) {
            nav.push(NavLink {
                href: "/diarium",
                label: "Diarium",
            });
        }
        if actor.has(Role::Admin) {
            nav.push(NavLink {
                href: "/admin/anvandare",
                label: "Användare",
            });
            nav.push(NavLink {
                href: "/admin/enheter",
                label: "Enheter",
            });
            nav.push(NavLink {
                href: "/admin/vardgivare",
                label: "Privata vårdgivare",
            });
            nav.push(NavLink {
                href: "/admin/post",
                label: "E-post",
            });
        }
        nav.push(NavLink {
            href: "/konto",
            label: "Mitt konto",
        });
        Layout {
            title: title.to_string(),
            user_name: Some(actor.name.clone()),
            user_roles: actor
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", "),
            csrf: csrf.to_string(),
            nav,
            lang: crate::i18n::Lang::Sv,
            demo: is_demo(),
        }
    }
}

/// Renders a template with a status; a rendering failure becomes a plain 500.
pub fn render(status: StatusCode, t: &impl Template) -> HttpResponse {
    match t.render() {
        Ok(html) => HttpResponseBuilder::new(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Ett tekniskt fel inträffade.")
        }
    }
}

pub fn ok(t: &impl Template) -> HttpResponse {
    render(StatusCode::OK, t)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub l: Layout,
    pub status: u16,
    pub message: &'a str,
    /// The request id (also in `X-Request-Id` and on every log line of the request).
    pub reference: String,
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    render(
        status,
        &ErrorPage {
            l: Layout::public(title),
            status: status.as_u16(),
            message,
            reference: super::guard::request_id().unwrap_or_default(),
        },
    )
}

pub async fn not_found() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "Sidan finns inte",
        "Det finns ingen sida på den adressen. Kontrollera adressen eller gå till startsidan.",
    )
}

/// Page numbers for a list (50 rows a page).
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// The query string without `sida`, to build links.
    pub base: String,
}

pub const PER_PAGE: i64 = 50;

impl Pager {
    pub fn new(page: Option<i64>, total: i64, base: String) -> Self {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        let page = page.unwrap_or(1).clamp(1, pages);
        Pager {
            page,
            pages,
            total,
            base,
        }
    }
    /// The first row of a page; saturates, so that no `sida` wraps to a negative OFFSET (a page
    /// past the end is simply empty).
    pub fn offset(page: Option<i64>) -> i64 {
        (page.unwrap_or(1).max(1) - 1).saturating_mul(PER_PAGE)
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
    pub fn prev_href(&self) -> String {
        self.href(self.page - 1)
    }
    pub fn next_href(&self) -> String {
        self.href(self.page + 1)
    }
    fn href(&self, page: i64) -> String {
        if self.base.is_empty() {
            format!("?sida={page}")
        } else {
            format!("?{}&sida={page}", self.base)
        }
    }
}

/// Errors for a template: lookups by field name.
pub fn err<'a>(errors: &'a FieldErrors, field: &str) -> Option<&'a str> {
    errors.get(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_never_wrap() {
        assert_eq!(Pager::offset(None), 0);
        assert_eq!(Pager::offset(Some(1)), 0);
        assert_eq!(Pager::offset(Some(2)), PER_PAGE);
        assert_eq!(Pager::offset(Some(i64::MIN)), 0);
        assert_eq!(Pager::offset(Some(i64::MAX)), i64::MAX);
        assert!(Pager::offset(Some(i64::MAX / PER_PAGE + 2)) >= 0);
    }
}
