//! Settings the use cases read from the configuration (shared by cases and feedback).

use crate::config::Config;

/// Settings the workflow needs from the configuration.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub diary_prefix: String,
    pub mail_from: String,
    pub public_url: String,
    /// A journal note older than this (days before the decision) needs a reason.
    pub journal_note_max_age_days: u32,
    /// Executions and emergency calls need the helpdesk (VGR-ID) reference.
    pub require_helpdesk_ref: bool,
}

impl Workflow {
    pub fn from_config(c: &Config) -> Self {
        Workflow {
            diary_prefix: c.diary_prefix.clone(),
            mail_from: c.smtp_from.clone(),
            public_url: c.public_url(),
            journal_note_max_age_days: c.journal_note_max_age_days,
            require_helpdesk_ref: c.require_helpdesk_ref,
        }
    }
}
