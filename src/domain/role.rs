//! The roles of SPEC §1.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Clinician,
    Manager,
    ChiefPhysician,
    Handler,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Clinician,
        Role::Manager,
        Role::ChiefPhysician,
        Role::Handler,
        Role::Auditor,
        Role::Admin,
    ];

    /// The code name stored in the database and used in the access log.
    pub fn code(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Manager => "manager",
            Role::ChiefPhysician => "chief_physician",
            Role::Handler => "handler",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The Swedish name shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Clinician => "Vårdpersonal",
            Role::Manager => "Verksamhetschef",
            Role::ChiefPhysician => "Chefläkare",
            Role::Handler => "Handläggare (Spärr- och loggservice)",
            Role::Auditor => "Logguppföljning",
            Role::Admin => "Administratör",
        }
    }

    /// Roles whose work is tied to the user's units.
    pub fn is_unit_bound(self) -> bool {
        matches!(self, Role::Clinician | Role::Manager | Role::ChiefPhysician)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
