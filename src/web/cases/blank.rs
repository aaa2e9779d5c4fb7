//! The blank paper form, "Blankett för låsning och upplåsning" (instruction 002's appendix): every
//! field of the e-form (`templates/cases/form.html` as the handler keys a paper form in,
//! `service::cases::CaseInput`) in the same order and with the same labels, so that a filled-in
//! form is keyed in from top to bottom without searching. One form for both kinds, its lock-only
//! and unlock-only sections marked; A4, two sheets at most (`static/style.css`, `.blank`).
//! No citizen data, so nothing to log; any member of staff may print it (unit staff file on it,
//! handlers key it in). `tests/it/paper.rs` holds it to the e-form's fields, labels and order.

use super::*;
use crate::domain::decider::DeciderRole;
use crate::domain::provider::ProviderKind;

#[derive(Template)]
#[template(path = "paper/blank.html")]
pub(super) struct BlankPage {
    l: Layout,
    kinds: Vec<String>,
    providers: Vec<String>,
    protected: Vec<String>,
    risks: Vec<&'static str>,
    basis: Vec<&'static str>,
    situations: Vec<&'static str>,
    requested_by: Vec<&'static str>,
    not_informed: Vec<&'static str>,
    sealing: Vec<String>,
    decider_roles: Vec<&'static str>,
    /// The e-form's label, naming the setting's days.
    journal_reason_label: String,
}

/// The labels of a set of choices: those of the e-form (`domain::grounds`).
fn labels(choices: grounds::Choices) -> Vec<&'static str> {
    choices.iter().map(|(_, label)| *label).collect()
}

pub(super) async fn blank_form(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let l = staff.page("paper-blank-title");
    let t = |k: &str| l.t(k);
    let mut providers = vec![t("paper-f-provider-region")];
    providers.extend(ProviderKind::ALL.iter().map(|k| k.label().to_string()));
    Ok(pages::ok(&BlankPage {
        kinds: vec![t("paper-f-kind-lock"), t("paper-f-kind-unlock")],
        providers,
        protected: vec![t("paper-f-protected-box")],
        risks: labels(RISKS),
        basis: labels(BASIS),
        situations: labels(SITUATIONS),
        requested_by: labels(REQUESTED_BY),
        not_informed: labels(NOT_INFORMED),
        sealing: vec![t("paper-f-sealing-yes"), t("paper-f-sealing-no")],
        decider_roles: DeciderRole::ALL.iter().map(|r| r.label()).collect(),
        journal_reason_label: l.t1(
            "paper-f-journal-reason",
            "days",
            state.config.journal_note_max_age_days,
        ),
        l,
    }))
}
