//! What access-log entries say beyond their columns (`detail`), as catalog messages (keys
//! `log-…`): stored language-neutral (`Msg::to_log_detail`) and worded in the auditor's language
//! when read ([`log_detail`]). A value (a count, an id, a code, a name) is an argument, never
//! part of the words.

use crate::domain::login::LoginMethod;
use crate::domain::policy::{Access, Refusal};
use crate::i18n::{Arg, Lang, Msg};

/// An access-log entry's `detail` as stored, for a reader in this language (the auditor's
/// pages and CSV files). A detail written as a message (`Msg::to_log_detail`: `msg:` and the
/// stored message) is worded from the catalog, and so is the tail about the citizens a list
/// entry names (`N invånare; subjects-sha256=…`, `domain::audit::detail_with_subjects`);
/// anything else — rows written as Swedish text before, a code — is shown as stored.
pub fn log_detail(lang: Lang, stored: &str) -> String {
    worded(lang, stored, true)
}

/// As [`log_detail`], without the subject digest (a page; the CSV keeps it).
pub fn log_detail_brief(lang: Lang, stored: &str) -> String {
    worded(lang, stored, false)
}

fn worded(lang: Lang, stored: &str, digest: bool) -> String {
    use crate::domain::audit::{SUBJECTS_MARK, split_subjects};
    let (head, tail) = split_subjects(stored);
    let said = if head.is_empty() {
        Some(String::new())
    } else {
        head.strip_prefix(crate::i18n::LOG_MSG_PREFIX)
            .and_then(|json| lang.stored_known(json))
    };
    match (said, tail) {
        (Some(said), None) => said,
        (Some(said), Some((n, d))) => {
            let mut parts = Vec::with_capacity(3);
            if !said.is_empty() {
                parts.push(said);
            }
            parts.push(lang.t_args("log-subjects", &[("n", Arg::Num(n))]));
            if digest {
                parts.push(format!("{SUBJECTS_MARK}{d}"));
            }
            parts.join("; ")
        }
        (None, Some((_, d))) if !digest => stored
            .strip_suffix(&format!("; {SUBJECTS_MARK}{d}"))
            .unwrap_or(stored)
            .to_string(),
        (None, _) => stored.to_string(),
    }
}

/// Two details one after the other (`a; b`).
pub fn both(a: Msg, b: Msg) -> Msg {
    Msg::key("log-both")
        .arg("a", Arg::Msg(Box::new(a)))
        .arg("b", Arg::Msg(Box::new(b)))
}

/// "ja" or "nej", in the reader's language.
pub fn yes_no(v: bool) -> Arg {
    Arg::Key(if v { "log-yes" } else { "log-no" }.into())
}

/// A refused access: what was asked (`view_case unit:3`, or the step tried on a case), the
/// refusal's code and its reason.
pub fn access_denied(asked: impl Into<String>, refusal: Refusal) -> Msg {
    Msg::key("log-access-denied")
        .arg("access", asked.into())
        .arg("code", refusal.code())
        .arg("reason", Arg::Key(refusal_key(refusal).into()))
}

/// [`access_denied`] for an access of the policy.
pub fn denied(access: Access, refusal: Refusal) -> Msg {
    access_denied(access.to_string(), refusal)
}

fn refusal_key(r: Refusal) -> &'static str {
    match r {
        Refusal::NotLoggedIn => "log-refusal-not-logged-in",
        Refusal::Role => "log-refusal-role",
        Refusal::OtherUnit => "log-refusal-other-unit",
        Refusal::Principal => "log-refusal-principal",
    }
}

/// How someone logged in, as a `login` entry names it.
pub fn login_method(m: &LoginMethod) -> Msg {
    match m {
        LoginMethod::Password => Msg::key("log-method-password"),
        LoginMethod::Oidc { provider } => {
            Msg::key("log-method-oidc").arg("provider", provider.as_str())
        }
        LoginMethod::ClientCert => Msg::key("log-method-client-cert"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Stored, a detail is language-neutral; read, it is worded in the reader's language, the
    /// Swedish as the log wrote it before.
    #[test]
    fn details_are_stored_neutral_and_read_in_either_language() {
        let m = both(
            Msg::key("log-login-unknown-user"),
            login_method(&LoginMethod::ClientCert),
        );
        let stored = m.to_log_detail();
        assert!(stored.starts_with("msg:{"), "{stored}");
        assert!(!stored.contains("okänd"), "{stored}");
        assert_eq!(
            log_detail(Lang::Sv, &stored),
            "okänd användare; klientcertifikat (SITHS)"
        );
        assert_eq!(
            log_detail(Lang::En, &stored),
            "unknown user; client certificate (SITHS)"
        );
        let d = denied(Access::ReadAuditLog, Refusal::Role).to_log_detail();
        assert!(log_detail(Lang::Sv, &d).starts_with("read_audit_log; role ("));
        assert!(log_detail(Lang::En, &d).starts_with("read_audit_log; role ("));
        assert_ne!(log_detail(Lang::Sv, &d), log_detail(Lang::En, &d));
        // A text is stored and read as it is.
        assert_eq!(Msg::from("en").to_log_detail(), "en");
        assert_eq!(log_detail(Lang::En, "en"), "en");
    }

    /// A list entry's tail about its citizens is worded too; the page leaves out the digest.
    /// A detail written as free Swedish text before stays as it was.
    #[test]
    fn the_subjects_tail_is_worded_and_old_text_is_kept() {
        use crate::domain::audit::{detail_with_subjects, subject_set, subjects_digest};
        let subjects = subject_set(["191212121212", "190101010101"]);
        let digest = subjects_digest(&subjects);
        let said = Msg::key("log-list-cases").arg("n", 2_usize).to_log_detail();
        let stored = detail_with_subjects(Some(&said), &subjects);
        assert_eq!(
            log_detail(Lang::Sv, &stored),
            format!("2 ärenden; 2 invånare; subjects-sha256={digest}")
        );
        assert_eq!(
            log_detail(Lang::En, &stored),
            format!("2 cases; 2 citizens; subjects-sha256={digest}")
        );
        assert_eq!(log_detail_brief(Lang::En, &stored), "2 cases; 2 citizens");
        let one = detail_with_subjects(None, &subjects[..1]);
        assert_eq!(log_detail_brief(Lang::En, &one), "1 citizen");
        let old = detail_with_subjects(Some("2 ärenden"), &subjects);
        assert_eq!(log_detail(Lang::En, &old), old);
        assert_eq!(log_detail_brief(Lang::En, &old), "2 ärenden; 2 invånare");
        for kept in [
            "okänd användare",
            "msg:not json",
            "msg:{\"k\":\"no-such-key\",\"a\":[]}",
            "",
        ] {
            assert_eq!(log_detail(Lang::En, kept), kept);
        }
    }
}
