//! The case and its lifecycle (SPEC §3) as a pure function `(state, action, actor) -> state`.
//!
//! ```text
//! draft ─submit─▶ submitted ─receive─▶ received ─verify─▶ verified ─execute─▶ executed ─feedback─▶ closed
//!                     ▲                    │
//!                     └──── resubmit ── returned (reason)
//! emergency phone: (none) ─register call─▶ form_pending ─link form─▶ executed
//! any open state ─withdraw (reason)─▶ withdrawn
//! ```

use std::fmt;
use std::str::FromStr;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Status {
    Draft,
    Submitted,
    Received,
    Returned,
    Verified,
    /// Locked after an emergency call; waiting for the written form.
    FormPending,
    Executed,
    Closed,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::Submitted,
        Status::Received,
        Status::Returned,
        Status::Verified,
        Status::FormPending,
        Status::Executed,
        Status::Closed,
        Status::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Received => "received",
            Status::Returned => "returned",
            Status::Verified => "verified",
            Status::FormPending => "form_pending",
            Status::Executed => "executed",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// The Swedish name shown in lists and on the case.
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Utkast",
            Status::Submitted => "Inskickad",
            Status::Received => "Mottagen",
            Status::Returned => "Returnerad för komplettering",
            Status::Verified => "Kontrollerad",
            Status::FormPending => "Låst – väntar på blankett",
            Status::Executed => "Verkställd",
            Status::Closed => "Avslutad",
            Status::Withdrawn => "Återkallad",
        }
    }

    /// Open: the case can still be withdrawn.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Draft
                | Status::Submitted
                | Status::Received
                | Status::Returned
                | Status::Verified
        )
    }

    /// The requesting unit may edit the case's content.
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|x| x.code() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Kind {
    Lock,
    Unlock,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Lock => "lock",
            Kind::Unlock => "unlock",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Lock => "Låsning",
            Kind::Unlock => "Upplåsning",
        }
    }
    /// The 1177 e-tjänster subcategory (checklist item 5).
    pub fn category(self) -> &'static str {
        match self {
            Kind::Lock => "1177 e-tjänster / Låsa konto vårdpersonal",
            Kind::Unlock => "1177 e-tjänster / Låsa upp konto vårdpersonal",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lock" => Ok(Kind::Lock),
            "unlock" => Ok(Kind::Unlock),
            _ => Err(format!("unknown kind {s:?}")),
        }
    }
}

/// How a case reached Kontospärr (SPEC §2, "channel").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Channel {
    /// The e-service form in this system.
    Eservice,
    /// A paper form, registered on arrival.
    Paper,
    /// A call to the emergency phone.
    Emergency,
    /// The intake API (e-form platforms).
    Api,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Eservice,
        Channel::Paper,
        Channel::Emergency,
        Channel::Api,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Channel::Eservice => "eservice",
            Channel::Paper => "paper",
            Channel::Emergency => "emergency",
            Channel::Api => "api",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Channel::Eservice => "Kontospärr",
            Channel::Paper => "Pappersblankett",
            Channel::Emergency => "Nödtelefon",
            Channel::Api => "E-tjänst (intag)",
        }
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|x| x.code() == s)
            .ok_or_else(|| format!("unknown channel {s:?}"))
    }
}

/// Who asked for the lock: the staff, or the citizen through the staff (decides who sends the
/// written form after an emergency call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RequestedBy {
    Staff,
    Citizen,
}

impl RequestedBy {
    pub fn code(self) -> &'static str {
        match self {
            RequestedBy::Staff => "staff",
            RequestedBy::Citizen => "citizen",
        }
    }
}

impl FromStr for RequestedBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "staff" => Ok(RequestedBy::Staff),
            "citizen" => Ok(RequestedBy::Citizen),
            _ => Err(format!("unknown requester {s:?}")),
        }
    }
}

/// What someone does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Edit,
    Sign,
    Submit,
    Receive,
    Return,
    Resubmit,
    Verify,
    Execute,
    Feedback,
    Withdraw,
    RegisterCall,
    LinkForm,
    /// The three-month review of an executed lock (keep locked, or open an unlock).
    Review,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Create,
        Action::Edit,
        Action::Sign,
        Action::Submit,
        Action::Receive,
        Action::Return,
        Action::Resubmit,
        Action::Verify,
        Action::Execute,
        Action::Feedback,
        Action::Withdraw,
        Action::RegisterCall,
        Action::LinkForm,
        Action::Review,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Sign => "sign",
            Action::Submit => "submit",
            Action::Receive => "receive",
            Action::Return => "return",
            Action::Resubmit => "resubmit",
            Action::Verify => "verify",
            Action::Execute => "execute",
            Action::Feedback => "feedback",
            Action::Withdraw => "withdraw",
            Action::RegisterCall => "register_call",
            Action::LinkForm => "link_form",
            Action::Review => "review",
        }
    }

    /// Steps only Spärr- och loggservice takes, whatever state the case is in.
    pub fn handlers_only(self) -> bool {
        matches!(
            self,
            Action::Receive
                | Action::Return
                | Action::Verify
                | Action::Execute
                | Action::LinkForm
                | Action::RegisterCall
        )
    }

    /// Swedish, as the timeline stores it (pages word it by `case-action-<code>`).
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "Skapade ärendet",
            Action::Edit => "Ändrade uppgifter",
            Action::Sign => "Signerade beslutet",
            Action::Submit => "Skickade in ärendet",
            Action::Receive => "Tog emot ärendet",
            Action::Return => "Returnerade för komplettering",
            Action::Resubmit => "Skickade in ärendet på nytt",
            Action::Verify => "Kontrollerade ärendet",
            Action::Execute => "Verkställde i 1177 e-tjänster personalverktyg",
            Action::Feedback => "Återkopplade till verksamhetschefen",
            Action::Withdraw => "Återkallade ärendet",
            Action::RegisterCall => "Registrerade samtal till nödtelefon och låste kontot",
            Action::LinkForm => "Kopplade den skriftliga blanketten",
            Action::Review => "Omprövade låsningen",
        }
    }
}

/// Who acts, as far as the lifecycle cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// Clinician or manager of the requesting unit.
    UnitStaff,
    /// Spärr- och loggservice.
    Handler,
    /// Anyone else (chief physician, auditor, admin, another unit's staff).
    Other,
    /// The system itself: the mail worker records that feedback was delivered.
    System,
}

/// The facts the rules need beyond state, action and actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facts {
    pub actor: ActorKind,
    /// The acting user has the decider flag.
    pub actor_is_decider: bool,
    /// The decision is signed by a decider.
    pub signed: bool,
    /// Every mandatory field is filled in.
    pub complete: bool,
    /// The handler's checklist is done (items 1–7 that apply).
    pub checklist_done: bool,
    /// This lock was lifted by an executed unlock (`domain::locks::lifted_by`): it is no longer
    /// in force and is not reviewed.
    pub lifted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{action:?} is not possible when the case is {from:?}")]
    NotNow {
        from: Option<Status>,
        action: Action,
    },
    #[error("{action:?} is not allowed for {actor:?}")]
    NotYours { action: Action, actor: ActorKind },
    #[error("only a decider can sign")]
    NotDecider,
    #[error("the decision must be signed first")]
    Unsigned,
    #[error("mandatory fields are missing")]
    Incomplete,
    #[error("the checklist is not done")]
    ChecklistOpen,
    #[error("the lock was lifted by an unlock")]
    Lifted,
    #[error("only a decider decides a review")]
    ReviewNotDecider,
}

/// The lifecycle. `state` is None for a case that does not exist yet.
pub fn transition(
    state: Option<Status>,
    action: Action,
    f: Facts,
) -> Result<Status, TransitionError> {
    use ActorKind::*;
    use Status::*;
    let not_now = || TransitionError::NotNow {
        from: state,
        action,
    };
    let need = |who: &[ActorKind]| {
        if who.contains(&f.actor) {
            Ok(())
        } else {
            Err(TransitionError::NotYours {
                action,
                actor: f.actor,
            })
        }
    };
    match (state, action) {
        (None, Action::Create) => {
            // Unit staff draft in the system; handlers key in paper forms as drafts too.
            need(&[UnitStaff, Handler])?;
            Ok(Draft)
        }
        (None, Action::RegisterCall) => {
            need(&[Handler])?;
            Ok(FormPending)
        }
        (Some(s @ (Draft | Returned)), Action::Edit) => {
            need(&[UnitStaff, Handler])?;
            Ok(s)
        }
        (Some(s @ (Draft | Returned)), Action::Sign) => {
            need(&[UnitStaff])?;
            if !f.actor_is_decider {
                return Err(TransitionError::NotDecider);
            }
            if !f.complete {
                return Err(TransitionError::Incomplete);
            }
            Ok(s)
        }
        (Some(Draft), Action::Submit) | (Some(Returned), Action::Resubmit) => {
            need(&[UnitStaff, Handler])?;
            if !f.complete {
                return Err(TransitionError::Incomplete);
            }
            if !f.signed {
                return Err(TransitionError::Unsigned);
            }
            Ok(Submitted)
        }
        (Some(Submitted), Action::Receive) => {
            need(&[Handler])?;
            Ok(Received)
        }
        (Some(Submitted | Received), Action::Return) => {
            need(&[Handler])?;
            Ok(Returned)
        }
        (Some(Received), Action::Verify) => {
            need(&[Handler])?;
            if !f.checklist_done {
                return Err(TransitionError::ChecklistOpen);
            }
            Ok(Verified)
        }
        (Some(Verified), Action::Execute) => {
            need(&[Handler])?;
            Ok(Executed)
        }
        (Some(FormPending), Action::LinkForm) => {
            need(&[Handler])?;
            Ok(Executed)
        }
        (Some(s @ (Executed | Closed | FormPending)), Action::Review) => {
            // The unit's decider decides (002 §3.1); the case stays where it is (the review has
            // its own record). A lock an executed unlock lifted is no longer reviewed.
            need(&[UnitStaff])?;
            if f.lifted {
                return Err(TransitionError::Lifted);
            }
            if !f.actor_is_decider {
                return Err(TransitionError::ReviewNotDecider);
            }
            Ok(s)
        }
        (Some(Executed), Action::Feedback) => {
            need(&[Handler, System])?;
            Ok(Closed)
        }
        (Some(s), Action::Withdraw) if s.is_open() => {
            // The unit may withdraw until the handler has received it; the handler any time.
            match (f.actor, s) {
                (Handler, _) => Ok(Withdrawn),
                (UnitStaff, Draft | Submitted | Returned) => Ok(Withdrawn),
                _ => Err(TransitionError::NotYours {
                    action,
                    actor: f.actor,
                }),
            }
        }
        _ => Err(not_now()),
    }
}

/// The steps a case page offers an actor, decided by the lifecycle itself: a step is offered when
/// `transition` lets this actor take it now — or would refuse it only for the open checklist,
/// which the same page shows. Templates render what this returns and compare no statuses.
/// Signing is offered until the decision is signed; editing to the unit (a handler keys in paper
/// forms on their own page); the review only for locks; feedback is the mail worker's.
pub fn available_actions(status: Status, kind: Kind, f: Facts) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| match a {
            Action::Create | Action::RegisterCall | Action::Feedback => false,
            Action::Sign if f.signed => false,
            Action::Edit if f.actor != ActorKind::UnitStaff => false,
            Action::Review if kind != Kind::Lock => false,
            _ => true,
        })
        .filter(|a| {
            matches!(
                transition(Some(status), *a, f),
                Ok(_) | Err(TransitionError::ChecklistOpen)
            )
        })
        .collect()
}

/// Every (from, to) pair the lifecycle allows, for tests and documentation.
pub fn allowed_edges() -> Vec<(Option<Status>, Status)> {
    use Status::*;
    let mut v = vec![(None, Draft), (None, FormPending)];
    for s in [Draft, Returned] {
        v.push((Some(s), s));
        v.push((Some(s), Submitted));
    }
    v.extend([
        (Some(Submitted), Received),
        (Some(Submitted), Returned),
        (Some(Received), Returned),
        (Some(Received), Verified),
        (Some(Verified), Executed),
        (Some(FormPending), Executed),
        (Some(Executed), Closed),
        (Some(Executed), Executed),
        (Some(Closed), Closed),
        (Some(FormPending), FormPending),
    ]);
    for s in Status::ALL {
        if s.is_open() {
            v.push((Some(s), Withdrawn));
        }
    }
    v
}

#[cfg(test)]
mod tests;
