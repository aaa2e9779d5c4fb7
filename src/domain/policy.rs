//! Who acts, and every access decision in one place: `decide(principal, access)` → the role the
//! principal acts in, or a typed refusal. Pure: the services gather the facts of the object (its
//! unit), call this, and write `access_denied` to the access log on a refusal.

use super::Role;
use std::fmt;

/// A unit as a member of staff belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// A logged-in member of staff, with their roles and units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub hsa_id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub units: Vec<UnitRef>,
    pub is_decider: bool,
    /// The language the user chose for the interface and their mail (their own page).
    pub lang: crate::i18n::Lang,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The actor belongs to the unit.
    pub fn in_unit(&self, unit_id: i64) -> bool {
        self.units.iter().any(|u| u.id == unit_id)
    }

    pub fn unit_ids(&self) -> Vec<i64> {
        self.units.iter().map(|u| u.id).collect()
    }

    pub fn roles_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Background work, named in the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// The outbox worker: delivers mail and records feedback as delivered.
    Outbox,
    /// Review and missing-form reminders.
    Reminders,
}

impl Job {
    pub fn code(self) -> &'static str {
        match self {
            Job::Outbox => "outbox",
            Job::Reminders => "reminders",
        }
    }
}

/// Who acts. There is no "nobody": every path names its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A member of staff who has logged in with both factors.
    Staff(Actor),
    /// A member of staff half-way through logging in or enrolling (new password, TOTP): may act
    /// on their own account only.
    Enrolling(Actor),
    /// Someone without a session (the login page, an enrolment link).
    Visitor,
    /// The operator at the server's command line (`kontosparr admin create`, `user add`, …).
    Operator,
    /// An e-form platform through the intake API.
    ApiClient { id: i64, name: String },
    /// A scheduled job.
    Job(Job),
    /// Loading the demo region (`serve --demo`).
    Demo,
}

impl Principal {
    /// The member of staff, when a fully logged-in one acts.
    pub fn staff(&self) -> Option<&Actor> {
        match self {
            Principal::Staff(a) => Some(a),
            _ => None,
        }
    }

    /// The person behind the request, logged in or enrolling.
    pub fn person(&self) -> Option<&Actor> {
        match self {
            Principal::Staff(a) | Principal::Enrolling(a) => Some(a),
            _ => None,
        }
    }

    /// The name shown on a case's timeline for what this principal did.
    pub fn timeline_name(&self) -> String {
        match self {
            Principal::Staff(a) | Principal::Enrolling(a) => a.name.clone(),
            Principal::ApiClient { name, .. } => format!("Intagstjänst ({name})"),
            Principal::Job(_) => "Kontospärr".to_string(),
            Principal::Operator => "Driftansvarig (kommandorad)".to_string(),
            Principal::Demo => "Demoregion".to_string(),
            Principal::Visitor => "Okänd".to_string(),
        }
    }

    /// The principal as the access log's user column names it: staff by HSA-ID, the others by
    /// what they are (never empty, so an auditor can tell machine work from people's).
    pub fn log_name(&self) -> Option<String> {
        match self {
            Principal::Staff(a) | Principal::Enrolling(a) => Some(a.hsa_id.clone()),
            Principal::ApiClient { id, .. } => Some(format!("api-client:{id}")),
            Principal::Job(j) => Some(format!("job:{}", j.code())),
            Principal::Operator => Some("operator".to_string()),
            Principal::Demo => Some("demo".to_string()),
            Principal::Visitor => None,
        }
    }
}

/// What a principal wants to do, with the facts of the object the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Any page for logged-in staff (the start page, the user's own account).
    StaffPages,
    /// Administration: users, units, providers, certificates, failed mail, API clients.
    Administer,
    /// Read the failed mail and the units' mail certificates (not change them): admins, and
    /// handlers, whose feedback to the units (instruction 002 §8) goes out by that mail. No
    /// citizen data is on those lists.
    MailStatus,
    /// Open one case of this unit (its page, print, attachments).
    ViewCase { unit_id: i64 },
    /// Create or edit a case's content for this unit (a draft, a returned case).
    FileCase { unit_id: i64 },
    /// The handler's work on a case: receive, checklist, return, verify, execute, paper forms,
    /// the emergency phone, linking forms.
    HandleCases,
    /// The case list (each role sees its own selection).
    ListCases,
    /// The diary (no citizen data).
    Diary,
    /// Record the outcome of a three-month review of a lock of this unit.
    Review { unit_id: i64 },
    /// Deliver mail and record feedback as delivered.
    DeliverMail,
    /// Send reminders.
    Remind,
    /// Read the access log: search it, a citizen's extract, exports, entries to look at
    /// (SPEC §1: the auditor reads the access log and exports it).
    ReadAuditLog,
    /// Record and read spot checks of the log (logguppföljning, HSLF-FS 2016:40).
    SpotChecks,
    /// The statistics page and its CSV tables (no citizen data): the whole region, or this unit.
    Statistics { unit_id: Option<i64> },
}

/// Why a principal may not do it. Shown to users through the message catalog, logged as
/// `access_denied` with the reason's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Refusal {
    #[error("not logged in")]
    NotLoggedIn,
    #[error("the role does not allow it")]
    Role,
    #[error("the case belongs to another unit")]
    OtherUnit,
    #[error("not for this kind of principal")]
    Principal,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotLoggedIn => "not_logged_in",
            Refusal::Role => "role",
            Refusal::OtherUnit => "other_unit",
            Refusal::Principal => "principal",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Access::StaffPages => f.write_str("staff_pages"),
            Access::Administer => f.write_str("administer"),
            Access::MailStatus => f.write_str("mail_status"),
            Access::ViewCase { unit_id } => write!(f, "view_case unit:{unit_id}"),
            Access::FileCase { unit_id } => write!(f, "file_case unit:{unit_id}"),
            Access::HandleCases => f.write_str("handle_cases"),
            Access::ListCases => f.write_str("list_cases"),
            Access::Diary => f.write_str("diary"),
            Access::Review { unit_id } => write!(f, "review unit:{unit_id}"),
            Access::DeliverMail => f.write_str("deliver_mail"),
            Access::Remind => f.write_str("remind"),
            Access::ReadAuditLog => f.write_str("read_audit_log"),
            Access::SpotChecks => f.write_str("spot_checks"),
            Access::Statistics { unit_id: None } => f.write_str("statistics"),
            Access::Statistics {
                unit_id: Some(unit_id),
            } => write!(f, "statistics unit:{unit_id}"),
        }
    }
}

/// The unit-bound roles in the order a case is acted on in: a manager acts as manager.
const UNIT_ROLES: [Role; 3] = [Role::Manager, Role::Clinician, Role::ChiefPhysician];

fn first_of(a: &Actor, roles: &[Role]) -> Option<Role> {
    roles.iter().copied().find(|r| a.has(*r))
}

/// Decides. `Ok(Some(role))` is the role a member of staff acts in; `Ok(None)` a non-staff
/// principal the rule lets through (the operator, the intake API, a job, demo seeding).
pub fn decide(p: &Principal, access: Access) -> Result<Option<Role>, Refusal> {
    use Access::*;
    let a = match p {
        Principal::Staff(a) => a,
        Principal::Visitor | Principal::Enrolling(_) => return Err(Refusal::NotLoggedIn),
        Principal::Operator => {
            // The command line creates the first administrator and manages accounts.
            return match access {
                Administer => Ok(None),
                _ => Err(Refusal::Principal),
            };
        }
        Principal::Demo => {
            // Seeding the demo region builds its organisation.
            return match access {
                Administer => Ok(None),
                _ => Err(Refusal::Principal),
            };
        }
        Principal::ApiClient { .. } => {
            // A platform files complete cases for any unit of the region; nothing else.
            return match access {
                FileCase { .. } => Ok(None),
                _ => Err(Refusal::Principal),
            };
        }
        Principal::Job(job) => {
            return match (job, access) {
                (Job::Outbox, DeliverMail) | (Job::Reminders, Remind) => Ok(None),
                _ => Err(Refusal::Principal),
            };
        }
    };
    let role = |r: Role| {
        if a.has(r) {
            Ok(Some(r))
        } else {
            Err(Refusal::Role)
        }
    };
    match access {
        StaffPages => Ok(None),
        Administer => role(Role::Admin),
        MailStatus => first_of(a, &[Role::Admin, Role::Handler])
            .map(Some)
            .ok_or(Refusal::Role),
        HandleCases => role(Role::Handler),
        Diary => first_of(a, &[Role::Handler, Role::Auditor])
            .map(Some)
            .ok_or(Refusal::Role),
        ListCases => first_of(
            a,
            &[
                Role::Handler,
                Role::Manager,
                Role::Clinician,
                Role::ChiefPhysician,
            ],
        )
        .map(Some)
        .ok_or(Refusal::Role),
        ViewCase { unit_id } => {
            if a.has(Role::Handler) {
                return Ok(Some(Role::Handler));
            }
            let r = first_of(a, &UNIT_ROLES).ok_or(Refusal::Role)?;
            if a.in_unit(unit_id) {
                Ok(Some(r))
            } else {
                Err(Refusal::OtherUnit)
            }
        }
        FileCase { unit_id } => {
            // Unit staff file for their own units; a handler keys in paper forms for any.
            match first_of(a, &[Role::Manager, Role::Clinician]) {
                Some(r) if a.in_unit(unit_id) => Ok(Some(r)),
                _ if a.has(Role::Handler) => Ok(Some(Role::Handler)),
                Some(_) => Err(Refusal::OtherUnit),
                None => Err(Refusal::Role),
            }
        }
        Review { unit_id } => match first_of(a, &[Role::Manager, Role::Clinician]) {
            Some(r) if a.in_unit(unit_id) => Ok(Some(r)),
            Some(_) => Err(Refusal::OtherUnit),
            None => Err(Refusal::Role),
        },
        // The log names every citizen anyone read: auditors only (not admins, not handlers).
        ReadAuditLog | SpotChecks => role(Role::Auditor),
        // Issue 11: handlers for every unit; managers and chefläkare for their own units (all of
        // them together, or one). Not clinicians, auditors or admins.
        Statistics { unit_id } => {
            if a.has(Role::Handler) {
                return Ok(Some(Role::Handler));
            }
            let r = first_of(a, &[Role::Manager, Role::ChiefPhysician]).ok_or(Refusal::Role)?;
            match unit_id {
                Some(u) if !a.in_unit(u) => Err(Refusal::OtherUnit),
                _ => Ok(Some(r)),
            }
        }
        DeliverMail | Remind => Err(Refusal::Principal),
    }
}

/// SPEC §1: the chefläkare is informed of and sees the **lock decisions** of the area — a lock
/// once its unit has sent it (submitted, and everything after: returned, received, executed,
/// closed, withdrawn after sending, an emergency lock). Not the unit's drafts (their own work, not
/// yet a decision sent) and not unlocks.
pub fn chief_physician_sees(
    kind: super::case::Kind,
    status: super::case::Status,
    submitted: bool,
) -> bool {
    kind == super::case::Kind::Lock && status != super::case::Status::Draft && submitted
}

/// The statuses a chefläkare's lists show (with `submitted_at` set and kind lock).
pub fn chief_physician_statuses() -> Vec<super::case::Status> {
    super::case::Status::ALL
        .into_iter()
        .filter(|s| *s != super::case::Status::Draft)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn staff(roles: &[Role], units: &[i64]) -> Principal {
        Principal::Staff(Actor {
            user_id: 1,
            hsa_id: "SE2321000131-P000000000001".into(),
            name: "Test".into(),
            roles: roles.to_vec(),
            units: units
                .iter()
                .map(|&id| UnitRef {
                    id,
                    code: format!("U{id}"),
                    name: format!("Enhet {id}"),
                })
                .collect(),
            is_decider: false,
            lang: crate::i18n::Lang::Sv,
        })
    }

    #[test]
    fn nobody_is_not_an_admin() {
        for p in [
            Principal::Visitor,
            Principal::ApiClient {
                id: 1,
                name: "Barium".into(),
            },
            Principal::Job(Job::Outbox),
            Principal::Job(Job::Reminders),
            staff(&[Role::Handler, Role::Auditor, Role::Manager], &[1]),
        ] {
            assert!(decide(&p, Access::Administer).is_err(), "{p:?}");
        }
        assert_eq!(
            decide(&staff(&[Role::Admin], &[]), Access::Administer),
            Ok(Some(Role::Admin))
        );
        assert_eq!(decide(&Principal::Operator, Access::Administer), Ok(None));
    }

    #[test]
    fn unit_staff_see_their_units_cases_only() {
        let c = staff(&[Role::Clinician], &[1]);
        assert_eq!(
            decide(&c, Access::ViewCase { unit_id: 1 }),
            Ok(Some(Role::Clinician))
        );
        assert_eq!(
            decide(&c, Access::ViewCase { unit_id: 2 }),
            Err(Refusal::OtherUnit)
        );
        assert_eq!(
            decide(&c, Access::FileCase { unit_id: 2 }),
            Err(Refusal::OtherUnit)
        );
        assert_eq!(decide(&c, Access::HandleCases), Err(Refusal::Role));
        let m = staff(&[Role::Clinician, Role::Manager], &[1]);
        assert_eq!(
            decide(&m, Access::ViewCase { unit_id: 1 }),
            Ok(Some(Role::Manager))
        );
        let h = staff(&[Role::Handler], &[]);
        assert_eq!(
            decide(&h, Access::ViewCase { unit_id: 9 }),
            Ok(Some(Role::Handler))
        );
        assert_eq!(
            decide(&h, Access::FileCase { unit_id: 9 }),
            Ok(Some(Role::Handler))
        );
        let a = staff(&[Role::Auditor], &[1]);
        assert_eq!(
            decide(&a, Access::ViewCase { unit_id: 1 }),
            Err(Refusal::Role)
        );
        assert_eq!(decide(&a, Access::Diary), Ok(Some(Role::Auditor)));
        assert_eq!(decide(&a, Access::ListCases), Err(Refusal::Role));
        assert_eq!(decide(&a, Access::ReadAuditLog), Ok(Some(Role::Auditor)));
        assert_eq!(decide(&a, Access::SpotChecks), Ok(Some(Role::Auditor)));
    }

    #[test]
    fn statistics_for_handlers_and_unit_leaders_only() {
        let all = Access::Statistics { unit_id: None };
        let one = |u| Access::Statistics { unit_id: Some(u) };
        let h = staff(&[Role::Handler], &[]);
        assert_eq!(decide(&h, all), Ok(Some(Role::Handler)));
        assert_eq!(decide(&h, one(9)), Ok(Some(Role::Handler)));
        for r in [Role::Manager, Role::ChiefPhysician] {
            let m = staff(&[r, Role::Clinician], &[1, 2]);
            assert_eq!(decide(&m, all), Ok(Some(r)));
            assert_eq!(decide(&m, one(2)), Ok(Some(r)));
            assert_eq!(decide(&m, one(3)), Err(Refusal::OtherUnit));
        }
        for r in [Role::Clinician, Role::Auditor, Role::Admin] {
            assert_eq!(decide(&staff(&[r], &[1]), all), Err(Refusal::Role));
            assert_eq!(decide(&staff(&[r], &[1]), one(1)), Err(Refusal::Role));
        }
        assert_eq!(decide(&Principal::Visitor, all), Err(Refusal::NotLoggedIn));
        assert_eq!(decide(&Principal::Operator, all), Err(Refusal::Principal));
        assert_eq!(one(3).to_string(), "statistics unit:3");
    }

    proptest! {
        /// A chefläkare never sees a draft or an unlock, and sees every lock once sent.
        #[test]
        fn chief_physician_sees_sent_locks_only(
            status in proptest::sample::select(crate::domain::case::Status::ALL.to_vec()),
            lock in any::<bool>(),
            submitted in any::<bool>(),
        ) {
            use crate::domain::case::{Kind, Status};
            let kind = if lock { Kind::Lock } else { Kind::Unlock };
            let sees = chief_physician_sees(kind, status, submitted);
            if status == Status::Draft || kind == Kind::Unlock || !submitted {
                prop_assert!(!sees);
            } else {
                prop_assert!(sees);
                prop_assert!(chief_physician_statuses().contains(&status));
            }
        }

        /// Whatever the roles and units, a staff member reaches another unit's case only as a
        /// handler, and administration only as an admin.
        #[test]
        fn other_units_and_admin_need_their_role(
            roles in proptest::sample::subsequence(Role::ALL.to_vec(), 0..=6),
            units in proptest::collection::vec(1i64..5, 0..3),
            unit in 1i64..5,
        ) {
            let p = staff(&roles, &units);
            let handler = roles.contains(&Role::Handler);
            if !units.contains(&unit) && !handler {
                let (view, file, review) = (
                    Access::ViewCase { unit_id: unit },
                    Access::FileCase { unit_id: unit },
                    Access::Review { unit_id: unit },
                );
                prop_assert!(decide(&p, view).is_err());
                prop_assert!(decide(&p, file).is_err());
                prop_assert!(decide(&p, review).is_err());
            }
            prop_assert_eq!(decide(&p, Access::Administer).is_ok(), roles.contains(&Role::Admin));
            prop_assert_eq!(decide(&p, Access::HandleCases).is_ok(), handler);
            prop_assert!(decide(&p, Access::DeliverMail).is_err());
            prop_assert_eq!(
                decide(&p, Access::MailStatus).is_ok(),
                handler || roles.contains(&Role::Admin)
            );
            let auditor = roles.contains(&Role::Auditor);
            prop_assert_eq!(decide(&p, Access::ReadAuditLog).is_ok(), auditor);
            prop_assert_eq!(decide(&p, Access::SpotChecks).is_ok(), auditor);
        }
    }
}
