//! The request being served, as the guard sets it up (`guard::guard`) for what is made without
//! a handler's knowledge of the user, such as an error page: its id and its language.

use crate::i18n::Lang;

tokio::task_local! {
    /// The id of the request being served (see [`request_id`]).
    pub(super) static REQUEST_ID: String;
    /// The language of the request being served (see [`request_lang`]).
    pub(super) static REQUEST_LANG: std::cell::Cell<Lang>;
}

/// The language of the request being served, for pages made without a handler's knowledge of
/// the user (error pages): the logged-in user's setting, else the browser's `Accept-Language`,
/// else Swedish. Pages of a handler take it from their `Layout` instead.
pub fn request_lang() -> Lang {
    REQUEST_LANG.try_with(|l| l.get()).unwrap_or_default()
}

/// The id of the request being served, for the error page ("ange referens …"); None outside a
/// request.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}
