//! Administration: staff, units, approved private care providers. Every change is logged.

mod certificates;
mod providers;
mod staff;
mod units;

pub use certificates::*;
pub use providers::*;
pub use staff::*;
pub use units::*;

use super::{Ctx, FieldErrors, Reason, ServiceError, line_field, text_field};
use crate::auth::{password, tokens};
use crate::db::models::{CareProvider, NewUser, Unit, User};
use crate::db::org::UnitData;
use crate::db::{self, DbConnection, org, sessions, users};
use crate::domain::{HsaId, Role, validate};
use crate::i18n::{Arg, Msg};
use crate::messages;
use crate::messages::log;
use chrono::Duration;

/// Administration: an admin, the operator at the command line or demo seeding (the policy).
fn admin_of(ctx: &Ctx) -> Result<(), ServiceError> {
    ctx.authorize(super::Access::Administer).map(|_| ())
}
