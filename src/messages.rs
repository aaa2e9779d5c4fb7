//! Every message the user reads that is not in a template, as a key of the message catalog
//! (`locales/*/kontosparr.ftl`, prefix `msg-`). Services return these typed (`Key`, `Msg`); the
//! web layer words them in the reader's language (`Layout::tr`, `Msg::in_lang`).

use crate::domain::hsa::HsaIdError;
use crate::domain::personnummer::PnrError;
use crate::domain::validate::PasswordProblem;
pub use crate::i18n::{Key, Msg};

pub mod log;

pub const RATE_LIMITED: Key = Key("msg-rate-limited");
pub const REQUIRED: Key = Key("msg-required");
pub const PASSWORD_MISMATCH: Key = Key("msg-password-mismatch");
pub const PASSWORD_SAME_AS_TEMPORARY: Key = Key("msg-password-same-as-temporary");
pub const TOTP_WRONG: Key = Key("msg-totp-wrong");
pub const LINK_INVALID: Key = Key("msg-link-invalid");
pub const EMAIL_INVALID: Key = Key("msg-email-invalid");
pub const CONTROL_CHARS: Key = Key("msg-control-chars");
pub const NUL_REFUSED: Key = Key("msg-nul-refused");
pub const UNAVAILABLE_TITLE: Key = Key("msg-unavailable-title");
pub const UNAVAILABLE: Key = Key("msg-unavailable");
pub const SECRET_UNREADABLE: Key = Key("msg-secret-unreadable");
pub const ROLE_REQUIRED: Key = Key("msg-role-required");
pub const UNIT_REQUIRED: Key = Key("msg-unit-required");
pub const UNIT_UNKNOWN: Key = Key("msg-unit-unknown");
pub const HSA_TAKEN: Key = Key("msg-hsa-taken");
pub const UNIT_CODE_INVALID: Key = Key("msg-unit-code-invalid");
pub const UNIT_CODE_TAKEN: Key = Key("msg-unit-code-taken");
pub const MANAGER_INVALID: Key = Key("msg-manager-invalid");
pub const ORG_INVALID: Key = Key("msg-org-invalid");
pub const ORG_TAKEN: Key = Key("msg-org-taken");
pub const LANG_INVALID: Key = Key("msg-lang-invalid");
pub const CERT_TOO_LARGE: Key = Key("msg-cert-too-large");
pub const OWN_ADMIN_ACCESS: Key = Key("msg-own-admin-access");
pub const ADMIN_EXISTS: Key = Key("msg-admin-exists");
pub const MAIL_NO_RECIPIENT: Key = Key("msg-mail-no-recipient");
pub const MAIL_NOT_FAILED: Key = Key("msg-mail-not-failed");
pub const FILE_REQUIRED: Key = Key("msg-file-required");
pub const FILE_NOT_PDF: Key = Key("msg-file-not-pdf");
pub const STATS_MONTH: Key = Key("msg-stats-month");
pub const STATS_REVERSED: Key = Key("msg-stats-reversed");
pub const STATS_TOO_LONG: Key = Key("msg-stats-too-long");
pub const STATS_FUTURE: Key = Key("msg-stats-future");
pub const STATS_UNIT: Key = Key("msg-stats-unit");

pub fn too_long(max: usize) -> Msg {
    Msg::key("msg-too-long").arg("max", max)
}

pub fn file_too_large(max_mb: usize) -> Msg {
    Msg::key("msg-file-too-large").arg("max", max_mb)
}

pub fn hsa_id(e: HsaIdError) -> Key {
    match e {
        HsaIdError::Empty => Key("msg-hsa-empty"),
        HsaIdError::Format => Key("msg-hsa-format"),
    }
}

pub fn password(p: PasswordProblem) -> Key {
    match p {
        PasswordProblem::TooShort => Key("msg-password-too-short"),
        PasswordProblem::TooLong => Key("msg-password-too-long"),
        PasswordProblem::Common => Key("msg-password-common"),
        PasswordProblem::ContainsUserId => Key("msg-password-contains-id"),
    }
}

pub fn personnummer(e: PnrError) -> Key {
    match e {
        PnrError::Empty => Key("msg-pnr-empty"),
        PnrError::Format => Key("msg-pnr-format"),
        PnrError::Date => Key("msg-pnr-date"),
        PnrError::Future => Key("msg-pnr-future"),
        PnrError::CheckDigit => Key("msg-pnr-check-digit"),
        PnrError::Serial => Key("msg-pnr-serial"),
    }
}

/// A certificate that cannot be used for encrypted feedback (the admin's unit page).
pub fn certificate(e: &crate::mail::cert::CertError) -> Msg {
    use crate::mail::cert::CertError;
    match e {
        CertError::NotPem => Msg::key("msg-cert-not-pem"),
        CertError::NotYetValid(d) => Msg::key("msg-cert-not-yet-valid").arg("date", d.as_str()),
        CertError::Expired(d) => Msg::key("msg-cert-expired").arg("date", d.as_str()),
        CertError::NoEncryption => Msg::key("msg-cert-no-encryption"),
        CertError::NotForEmail => Msg::key("msg-cert-not-for-email"),
    }
}

// --- rules (issue 13) ---
pub const PROVIDER_NOT_ALLOWED: Key = Key("case-err-provider-not-allowed");
pub const MEDICAL_LEAD_INVALID: &str =
    "Välj en aktiv användare som får fatta beslut (beslutsfattare) som medicinskt ansvarig läkare.";
pub const CATEGORY_REQUIRED: Key = Key("case-err-category");
// --- auditor ---
pub const AUDIT_TIME_FORMAT: &str =
    "Skriv datum som ÅÅÅÅ-MM-DD, eller datum och tid som ÅÅÅÅ-MM-DD TT:MM (svensk tid).";
pub const AUDIT_DATE_FORMAT: &str = "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2026-11-01.";
pub const AUDIT_PERIOD_ORDER: &str = "Slutet av perioden kan inte ligga före början.";
pub const AUDIT_PERIOD_LONG: &str = "Perioden får vara högst 366 dagar.";
pub const AUDIT_ROLE_UNKNOWN: &str = "Välj en roll i listan.";
pub const AUDIT_ACTION_FORMAT: &str =
    "Händelsen skrivs med små bokstäver och understreck, till exempel case_view.";
pub const AUDIT_CASE_FORMAT: &str = "Skriv ärendets nummer med siffror, till exempel 42.";
pub const AUDIT_SAMPLE_SIZE: &str = "Skriv ett antal mellan 1 och 200.";
pub const AUDIT_OUTCOME: &str = "Välj ett resultat.";
pub const AUDIT_SAMPLE_OUTSIDE: &str =
    "Urvalet hör inte till perioden. Dra ett nytt urval för perioden.";

// --- lists ---
/// The handler's search field held neither a personnummer nor a diary or case number.
pub const SEARCH_TERM: Key = Key("case-err-search-term");

/// A list filter's date that is not a date.
pub const LIST_DATE: Key = Key("case-err-list-date");

// --- catalog-cases ---
/// A decider role that is not one of the instruction's (a keyed-in paper form).
pub const DECIDER_ROLE_INVALID: Key = Key("case-err-decider-role");

use crate::domain::case::{Action, Status, TransitionError};
use crate::domain::journal::NoteDateProblem;
use crate::domain::locks::UnlockRefError;
use crate::domain::names::{Difference, NameMatch};
use crate::i18n::Arg;

/// A case's status as an argument of a message (worded in the reader's language).
pub fn status_arg(s: Status) -> Arg {
    Arg::Key(format!("case-status-{}", s.code()))
}

/// A step of the lifecycle named inside a sentence ("signerade beslutet").
pub fn action_arg(a: Action) -> Arg {
    Arg::LowerKey(format!("case-action-{}", a.code()))
}

/// Why the lifecycle refused a step.
pub fn transition(e: &TransitionError) -> Msg {
    match e {
        TransitionError::NotNow { from, action } => Msg::key("case-msg-not-now")
            .arg("action", action_arg(*action))
            .arg(
                "status",
                from.map_or(Arg::Key("case-status-new".into()), status_arg),
            ),
        TransitionError::NotYours { .. } => Msg::key("case-msg-not-yours"),
        TransitionError::NotDecider => Msg::key("case-msg-not-decider"),
        TransitionError::Unsigned => Msg::key("case-msg-unsigned"),
        TransitionError::Incomplete => Msg::key("case-msg-incomplete"),
        TransitionError::ChecklistOpen => Msg::key("case-msg-checklist-open"),
        TransitionError::Lifted => Msg::key("case-msg-lifted"),
        TransitionError::ReviewNotDecider => Msg::key("case-msg-review-not-decider"),
    }
}

/// A new lock that duplicates a lock in force or an open case, without a reason.
pub fn duplicate(d: crate::domain::locks::Duplicate) -> Key {
    match d {
        crate::domain::locks::Duplicate::Locked => Key("case-err-duplicate-locked"),
        crate::domain::locks::Duplicate::OpenCase => Key("case-err-duplicate-open"),
    }
}

/// A field the handler left out when recording an execution (`locks::execution_errors`).
pub fn execution_missing(field: &str) -> Key {
    match field {
        "helpdesk_ref" => Key("case-err-helpdesk-ref"),
        _ => Key("case-err-confirmed"),
    }
}

/// Why an unlock may not undo the chosen case (beside the field).
pub fn unlock_ref(e: UnlockRefError) -> Key {
    match e {
        UnlockRefError::Unknown | UnlockRefError::NotALock => Key("case-msg-unlock-ref-choose"),
        UnlockRefError::NotExecuted => Key("case-msg-unlock-ref-not-executed"),
        UnlockRefError::AlreadyLifted(_) => Key("case-msg-unlock-ref-lifted"),
    }
}

/// The journal note's date against the decision's (beside the field).
pub fn note_date(p: NoteDateProblem) -> Msg {
    match p {
        NoteDateProblem::AfterDecision => Msg::key("case-msg-note-after-decision"),
        NoteDateProblem::TooOld(days) => {
            Msg::key("case-msg-note-too-old").arg("days", i64::from(days))
        }
    }
}

/// How two close names differ (checklist item 2).
pub fn name_difference(d: &Difference) -> Msg {
    match d {
        Difference::Case => Msg::key("case-name-diff-case"),
        Difference::Diacritics => Msg::key("case-name-diff-diacritics"),
        Difference::Hyphens => Msg::key("case-name-diff-hyphens"),
        Difference::MissingMiddleNames(n) => {
            Msg::key("case-name-diff-missing-middle").arg("names", n.join(" "))
        }
        Difference::ExtraMiddleNames(n) => {
            Msg::key("case-name-diff-extra-middle").arg("names", n.join(" "))
        }
    }
}

/// What the system found for checklist item 2, as kept with the handler's note.
pub fn name_found(m: &NameMatch) -> Key {
    match m {
        NameMatch::Exact => Key("case-found-exact"),
        NameMatch::Close(_) => Key("case-found-close"),
        NameMatch::Different => Key("case-found-different"),
        NameMatch::NotInRegister => Key("case-found-not-in-register"),
    }
}

/// What the note of checklist item 2 must say when the names do not simply match.
pub fn name_note_required(m: &NameMatch) -> Option<Key> {
    match m {
        NameMatch::Exact => None,
        NameMatch::Close(_) => Some(Key("case-msg-name-note-close")),
        NameMatch::Different => Some(Key("case-msg-name-note-different")),
        NameMatch::NotInRegister => Some(Key("case-msg-name-note-not-in-register")),
    }
}

/// Timeline entries the system writes with a fixed Swedish text (stored as text on the event),
/// by catalog key; the case page words them in the reader's language. An entry not here (an
/// older wording) is shown as stored. The lifecycle's steps are `Action::label` (`case-action-*`).
pub const TIMELINE: &[(&str, &str)] = &[
    ("case-event-intake", "Tog emot begäran från e-tjänst"),
    ("case-event-paper", "Registrerade pappersblankett"),
    ("case-event-check", "Kontrollpunkt klar"),
    ("case-event-plexus", "Antecknade diarienumret i Plexus"),
    (
        "case-event-review-unlock-created",
        "Skapade upplåsning efter omprövning",
    ),
    ("case-event-attached", "Bifogade skannad blankett"),
    (
        "case-event-returned-notice",
        "Avisering om returen lagd i utkorgen",
    ),
    (
        "case-event-feedback-failed",
        "Återkoppling kunde inte skickas",
    ),
    (
        "case-event-feedback-queued",
        "Återkoppling till verksamhetschefen lagd i utkorgen",
    ),
    (
        "case-event-revealed",
        "Visade namnet på en invånare med skyddade personuppgifter",
    ),
    (
        "case-event-register-protected",
        "Invånaren har skyddade personuppgifter enligt folkbokföringen; namnet maskeras",
    ),
    (
        "case-event-duplicate",
        "Bekräftade ny låsning trots befintlig låsning eller öppet ärende",
    ),
    ("case-event-diary", "Registrerade diarienummer"),
    ("case-event-lifted", "Låsningen hävdes genom upplåsning"),
    ("case-event-closed", "Ärendet avslutades"),
    (
        "case-event-review-keep",
        "Omprövade: inloggningen förblir låst",
    ),
    (
        "case-event-review-unlock",
        "Omprövade: inloggningen ska låsas upp",
    ),
    (
        "case-event-review-reminder",
        "Påminnelse om omprövning skickad",
    ),
    (
        "case-event-form-reminder",
        "Påminnelse om saknad blankett skickad",
    ),
    (
        "case-event-feedback-delivered",
        "Återkoppling levererad till verksamhetschefen",
    ),
    ("case-event-mail-delivered", "E-post levererad"),
    // Fixed details of entries (the rest of a detail is data: numbers, names, notes).
    (
        "case-detail-unsigned",
        "Signaturen togs bort eftersom uppgifterna ändrades.",
    ),
    ("case-detail-no-manager", "Enheten saknar verksamhetschef."),
    (
        "case-detail-closed",
        "Blanketten är kopplad och återkopplingen levererad.",
    ),
    // Who acted, when it is not a person.
    ("case-actor-register", "Folkbokföringen"),
    ("case-actor-operator", "Driftansvarig (kommandorad)"),
    ("case-actor-demo", "Demoregion"),
    ("case-actor-unknown", "Okänd"),
];

/// The catalog key of a stored timeline text (an event, a fixed detail, the system's name as
/// the actor), if it is one the system writes.
pub fn timeline_key(stored: &str) -> Option<String> {
    if let Some(a) = Action::ALL.into_iter().find(|a| a.label() == stored) {
        return Some(format!("case-action-{}", a.code()));
    }
    if let Some(r) = crate::domain::decider::DeciderRole::ALL
        .into_iter()
        .find(|r| r.label() == stored)
    {
        return Some(format!("case-decider-{}", r.code()));
    }
    TIMELINE
        .iter()
        .find(|(_, sv)| *sv == stored)
        .map(|(key, _)| (*key).to_string())
}

/// A stored timeline text as an argument: worded by the catalog when the system wrote it.
pub fn timeline_arg(stored: &str) -> Arg {
    timeline_key(stored).map_or_else(|| Arg::Str(stored.to_string()), Arg::Key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::personnummer::Personnummer;
    use crate::i18n::Lang;
    use chrono::NaiveDate;

    #[test]
    fn serial_000_has_its_own_message() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
        // 19121212-000x with the right check digit, and with a wrong one: the serial decides.
        for input in [
            "19121212-0008",
            "19121212-0000",
            "121212-0008",
            "191212120005",
        ] {
            let e = Personnummer::parse(input, today).err();
            assert_eq!(e, Some(PnrError::Serial), "{input}");
        }
        let serial = personnummer(PnrError::Serial).to_string();
        assert_ne!(serial, personnummer(PnrError::CheckDigit).to_string());
        assert!(serial.contains("000"), "{serial}");
        assert!(!serial.contains("kontrollsiffran"), "{serial}");
        let en = Msg::from(personnummer(PnrError::Serial)).in_lang(Lang::En);
        assert!(en.contains("000") && en.contains("serial"), "{en}");
    }

    /// Every refusal of the lifecycle has its text in both languages, and so do the status
    /// and the step it names (the domain's property test makes the refusals).
    #[test]
    fn every_refused_step_is_worded() {
        use crate::domain::case::ActorKind;
        let mut refusals = vec![
            TransitionError::NotYours {
                action: Action::Sign,
                actor: ActorKind::Other,
            },
            TransitionError::NotDecider,
            TransitionError::Unsigned,
            TransitionError::Incomplete,
            TransitionError::ChecklistOpen,
            TransitionError::Lifted,
            TransitionError::ReviewNotDecider,
        ];
        for from in Status::ALL.map(Some).into_iter().chain([None]) {
            for action in Action::ALL {
                refusals.push(TransitionError::NotNow { from, action });
            }
        }
        for e in &refusals {
            let m = transition(e);
            let Msg::Key(key, args) = &m else {
                panic!("{e:?} is not worded by the catalog");
            };
            for l in Lang::ALL {
                // A key the catalog lacks is shown as itself.
                let text = m.in_lang(l);
                assert!(
                    !text.is_empty() && text != *key,
                    "{e:?}: no text in {}",
                    l.code()
                );
                for (_, a) in args {
                    if let Arg::Key(k) | Arg::LowerKey(k) = a {
                        assert!(l.has(k), "{e:?}: {k} has no text in {}", l.code());
                    }
                }
            }
        }
    }

    #[test]
    fn arguments_reach_the_text() {
        assert_eq!(
            too_long(200).to_string(),
            "Texten är för lång: högst 200 tecken."
        );
        assert_eq!(
            too_long(200).in_lang(Lang::En),
            "The text is too long: at most 200 characters."
        );
    }
}
