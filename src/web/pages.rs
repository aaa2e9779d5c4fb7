//! Page structs (askama templates) and the shared layout.

use crate::db::page::{Count, KeyText, Page, key_text};
use crate::domain::Role;
use crate::i18n::{Lang, Msg};
use crate::service::{Actor, FieldErrors};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use askama::Template;

/// A link in the main navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
}

/// Set once at start in demo mode: every page then carries the DEMO banner.
pub static DEMO_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn is_demo() -> bool {
    DEMO_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

/// A role's name in `lang` (catalog key `role-<code>`).
pub fn role_label(lang: Lang, role: Role) -> String {
    lang.t(&format!("role-{}", role.code()))
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
    /// The language of the page (`<html lang>` and every `t` lookup): the user's own setting
    /// after login, the browser's `Accept-Language` before it.
    pub lang: Lang,
    /// A printable page's running header and footer (shown only in print, on every sheet).
    pub print: Option<PrintMarks>,
}

/// What a printed page carries on every sheet: what it is (a case's diary number and status, a
/// year of the diary) in the header, who printed it and when in the footer. Rendered into the
/// page by the server when the page is made (for a case page: the time of its logged view), shown
/// only by the print stylesheet (`static/style.css`, `.print-mark`).
#[derive(Debug, Clone, Default)]
pub struct PrintMarks {
    pub header: String,
    pub footer: String,
}

impl PrintMarks {
    /// `header`, and "printed by NAME (HSA-ID) at TIME" (Swedish time) in `lang`.
    pub fn by(lang: Lang, header: String, actor: &Actor, at: &chrono::NaiveDateTime) -> Self {
        use crate::i18n::Arg;
        let footer = lang.t_args(
            "paper-print-footer",
            &[
                (
                    "who",
                    Arg::Str(format!("{} ({})", actor.name, actor.hsa_id)),
                ),
                ("when", Arg::Str(super::view::local_time(at))),
            ],
        );
        PrintMarks { header, footer }
    }
}

impl Layout {
    /// A text of the message catalog in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A catalog text with one argument (`{ $name }`).
    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.lang
            .t_args(key, &[(name, crate::i18n::Arg::Str(value.to_string()))])
    }

    /// A catalog text with a number (`{ $n }`, plural forms).
    pub fn tn(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        self.lang
            .t_args(key, &[("n", crate::i18n::Arg::Num(*n.borrow()))])
    }

    /// A list's count (`key` takes `{ $n }`), or "more than 1 000" when the count was capped.
    pub fn count(&self, key: &str, pager: &Pager) -> String {
        if pager.capped {
            self.t1("list-count-more-than", "n", grouped(pager.total))
        } else {
            self.tn(key, pager.total)
        }
    }

    /// A count worded by `key`, or by `capped_key` when the count was capped (both take the
    /// grouped number as `{ $n }`: "1 234 ärenden.", "fler än 1 000 ärenden.").
    pub fn count_or_more(&self, key: &str, capped_key: &str, pager: &Pager) -> String {
        let n = grouped(pager.total);
        self.t1(if pager.capped { capped_key } else { key }, "n", n)
    }

    /// A message from a service (a form error, a refusal) worded in the page's language.
    pub fn tr(&self, m: &Msg) -> String {
        m.in_lang(self.lang)
    }

    /// A page for visitors (and for users half-way through logging in) in `lang`.
    pub fn public_in(lang: Lang, title_key: &str) -> Self {
        Layout {
            title: lang.t(title_key),
            demo: is_demo(),
            lang,
            ..Default::default()
        }
    }

    /// A page for a logged-in member of staff, in their language. `title` is already worded
    /// (pages by key pass `actor.lang.t(…)`; see `Staff::page`).
    pub fn staff(title: &str, actor: &Actor, csrf: &str) -> Self {
        let lang = actor.lang;
        let link = |href: &'static str, key: &str| NavLink {
            href,
            label: lang.t(key),
        };
        let mut nav = vec![link("/", "nav-home")];
        let unit_staff = actor.has(Role::Clinician) || actor.has(Role::Manager);
        if unit_staff || actor.has(Role::ChiefPhysician) || actor.has(Role::Handler) {
            nav.push(link("/arenden", "nav-cases"));
            nav.push(link("/last-nu", "nav-now"));
        }
        if unit_staff {
            nav.push(link("/arenden/ny", "nav-new-case"));
        }
        if unit_staff || actor.has(Role::ChiefPhysician) {
            nav.push(link("/omprovningar", "nav-reviews"));
        }
        if actor.has(Role::Handler) {
            nav.push(link("/handlaggning", "nav-queue"));
            nav.push(link("/nodtelefon", "nav-emergency"));
            nav.push(link("/blankett", "nav-paper"));
            nav.push(link("/sok", "nav-search"));
        }
        if actor.has(Role::Handler) || actor.has(Role::Auditor) {
            nav.push(link("/diarium", "nav-diary"));
        }
        if actor.has(Role::Handler) || actor.has(Role::Manager) || actor.has(Role::ChiefPhysician) {
            nav.push(link("/statistik", "nav-stats"));
        }
        if actor.has(Role::Auditor) {
            nav.push(link("/logg", "nav-audit-search"));
            nav.push(link("/logg/utdrag", "nav-audit-extract"));
            nav.push(link("/logg/granska", "nav-audit-review"));
            nav.push(link("/logg/kontroller", "nav-audit-checks"));
        }
        if actor.has(Role::Admin) {
            nav.push(link("/admin/anvandare", "nav-users"));
            nav.push(link("/admin/enheter", "nav-units"));
            nav.push(link("/admin/vardgivare", "nav-providers"));
            nav.push(link("/admin/post", "nav-mail"));
        }
        nav.push(link("/konto", "nav-account"));
        Layout {
            title: title.to_string(),
            user_name: Some(actor.name.clone()),
            user_roles: actor
                .roles
                .iter()
                .map(|r| role_label(lang, *r))
                .collect::<Vec<_>>()
                .join(", "),
            csrf: csrf.to_string(),
            nav,
            lang,
            demo: is_demo(),
            print: None,
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
                .body(super::request::request_lang().t("error-render"))
        }
    }
}

pub fn ok(t: &impl Template) -> HttpResponse {
    render(StatusCode::OK, t)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub l: Layout,
    pub status: u16,
    pub message: String,
    /// The request id (also in `X-Request-Id` and on every log line of the request).
    pub reference: String,
}

/// An error page in the request's language (`request::request_lang`): the user's setting, or the
/// browser's before login.
pub fn error_page(status: StatusCode, title_key: &str, message: &Msg) -> HttpResponse {
    let lang = super::request::request_lang();
    render(
        status,
        &ErrorPage {
            l: Layout::public_in(lang, title_key),
            status: status.as_u16(),
            message: message.in_lang(lang),
            reference: super::request::request_id().unwrap_or_default(),
        },
    )
}

/// "Sidan finns inte" (404) in the request's language as known so far.
pub fn no_page() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "error-no-page-title",
        &Msg::key("error-no-page"),
    )
}

/// The links and the count under a list. Lists are paged by key: "Nästa" carries the last
/// row's sort key and id (`efter=KEY~ID`), "Föregående" the first row's (`fore=KEY~ID`) — never
/// a personnummer. The diary still pages by number (`Pager::new`).
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// The rows counted: exact, or the cap when `capped`.
    pub total: i64,
    /// More rows than the cap matched ("fler än 1 000").
    pub capped: bool,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// "Sida 2 av 5", for a list paged by number.
    pub position: Option<String>,
}

pub const PER_PAGE: i64 = 50;

/// A number with a space between thousands, as Swedish writes it (`10 000`).
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl Pager {
    /// The pager of a page read by key. `path` is the list's address and `query` its filter
    /// (without the key), both kept in the links.
    pub fn keyed<T, K: KeyText>(page: &Page<T, K>, path: &str, query: &str) -> Self {
        let link = |param: &str, key: Option<&(K, i64)>| {
            key.map(|(k, id)| {
                let pair =
                    serde_urlencoded::to_string([(param, key_text(k, *id))]).unwrap_or_default();
                if query.is_empty() {
                    format!("{path}?{pair}")
                } else {
                    format!("{path}?{query}&{pair}")
                }
            })
        };
        let (total, capped) = match page.count {
            Count::Exact(n) => (n, false),
            Count::MoreThan(n) => (n, true),
        };
        Pager {
            total,
            capped,
            first: page.prev.as_ref().map(|_| {
                if query.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{query}")
                }
            }),
            prev: link("fore", page.prev.as_ref()),
            next: link("efter", page.next.as_ref()),
            position: None,
        }
    }

    /// The pager of a list paged by number (`sida`, 50 rows a page).
    pub fn new(page: Option<i64>, total: i64, base: String) -> Self {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        let page = page.unwrap_or(1).clamp(1, pages);
        let href = |p: i64| {
            if base.is_empty() {
                format!("?sida={p}")
            } else {
                format!("?{base}&sida={p}")
            }
        };
        Pager {
            total,
            capped: false,
            first: None,
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            position: Some(format!("Sida {page} av {pages}")),
        }
    }

    /// The first row of a numbered page; saturates, so that no `sida` wraps to a negative
    /// OFFSET (a page past the end is simply empty).
    pub fn offset(page: Option<i64>) -> i64 {
        (page.unwrap_or(1).max(1) - 1).saturating_mul(PER_PAGE)
    }

    /// The count as shown: `1 234`, or `fler än 1 000` above the cap.
    pub fn count_text(&self) -> String {
        if self.capped {
            format!("fler än {}", grouped(self.total))
        } else {
            grouped(self.total)
        }
    }

    /// Any link to show.
    pub fn has_links(&self) -> bool {
        self.prev.is_some() || self.next.is_some()
    }
}

/// Errors for a template: lookups by field name.
pub fn err<'a>(errors: &'a FieldErrors, field: &str) -> Option<&'a Msg> {
    errors.get(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `role_label`'s keys (`role-<code>`) are made, not written: every role has its text.
    #[test]
    fn every_role_has_a_label() {
        for r in Role::ALL {
            for l in Lang::ALL {
                let key = format!("role-{}", r.code());
                assert!(l.has(&key), "{key} has no text in {}", l.code());
                assert_ne!(role_label(l, r), key);
            }
        }
    }

    #[test]
    fn offsets_never_wrap() {
        assert_eq!(Pager::offset(None), 0);
        assert_eq!(Pager::offset(Some(1)), 0);
        assert_eq!(Pager::offset(Some(2)), PER_PAGE);
        assert_eq!(Pager::offset(Some(i64::MIN)), 0);
        assert_eq!(Pager::offset(Some(i64::MAX)), i64::MAX);
        assert!(Pager::offset(Some(i64::MAX / PER_PAGE + 2)) >= 0);
    }

    #[test]
    fn counts_are_grouped_and_capped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(10_000), "10 000");
        assert_eq!(grouped(1_234_567), "1 234 567");
        let page = |count| Page::<(), ()> {
            rows: vec![],
            prev: None,
            next: Some(((), 7)),
            count,
        };
        let p = Pager::keyed(&page(Count::MoreThan(10_000)), "/arenden", "status=draft");
        assert_eq!(p.count_text(), "fler än 10 000");
        assert_eq!(p.next.as_deref(), Some("/arenden?status=draft&efter=%7E7"));
        assert_eq!(p.prev, None);
        assert_eq!(p.first, None);
        assert_eq!(
            Pager::keyed(&page(Count::Exact(10_000)), "/a", "").count_text(),
            "10 000"
        );
    }
}
