//! Care units (vårdenheter) with their manager and the chief physician function.

use super::*;

/// The unit form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UnitInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub manager_user_id: String,
    /// The unit's medicinskt ansvarig läkare (MAL), a decider (002 §3.1).
    #[serde(default)]
    pub medical_lead_user_id: String,
    #[serde(default)]
    pub chief_physician_function: String,
    #[serde(default)]
    pub chief_physician_email: String,
    #[serde(default)]
    pub active: bool,
}

impl UnitInput {
    /// The form filled from a stored unit.
    pub fn from_unit(u: Unit) -> UnitInput {
        UnitInput {
            code: u.code,
            name: u.name,
            manager_user_id: u.manager_user_id.map(|m| m.to_string()).unwrap_or_default(),
            medical_lead_user_id: u
                .medical_lead_user_id
                .map(|m| m.to_string())
                .unwrap_or_default(),
            chief_physician_function: u.chief_physician_function,
            chief_physician_email: u.chief_physician_email,
            active: u.active,
        }
    }
}

pub(super) fn save_unit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: Option<i64>,
    input: &UnitInput,
) -> Result<i64, ServiceError> {
    let mut e = FieldErrors::default();
    let code = text_field(&mut e, "code", &input.code, 32, true).to_ascii_uppercase();
    if !code.is_empty() && !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        e.add("code", messages::UNIT_CODE_INVALID);
    }
    if let Some(other) = org::unit_by_code(conn, &code)?
        && Some(other.id) != id
    {
        e.add("code", messages::UNIT_CODE_TAKEN);
    }
    let name = line_field(&mut e, "name", &input.name, 200, true);
    let manager = match input.manager_user_id.trim() {
        "" => None,
        s => {
            let ok = match s.parse::<i64>() {
                Ok(uid) => {
                    users::by_id(conn, uid)?.filter(|u| u.active).is_some()
                        && users::roles(conn, uid)?.contains(&Role::Manager)
                }
                Err(_) => false,
            };
            if !ok {
                e.add("manager_user_id", messages::MANAGER_INVALID);
            }
            s.parse::<i64>().ok()
        }
    };
    let medical_lead = match input.medical_lead_user_id.trim() {
        "" => None,
        s => {
            let user = match s.parse::<i64>() {
                Ok(uid) => users::by_id(conn, uid)?.filter(|u| u.active && u.is_decider),
                Err(_) => None,
            };
            if user.is_none() {
                e.add("medical_lead_user_id", messages::MEDICAL_LEAD_INVALID);
            }
            user.map(|u| u.id)
        }
    };
    let function = text_field(
        &mut e,
        "chief_physician_function",
        &input.chief_physician_function,
        200,
        true,
    );
    let cp_email = text_field(
        &mut e,
        "chief_physician_email",
        &input.chief_physician_email,
        254,
        true,
    );
    if !cp_email.is_empty() && !validate::email(&cp_email) {
        e.add("chief_physician_email", messages::EMAIL_INVALID);
    }
    e.into_result()?;
    let data = UnitData {
        code: &code,
        name: &name,
        manager_user_id: manager,
        medical_lead_user_id: medical_lead,
        chief_physician_function: &function,
        chief_physician_email: &cp_email,
        active: input.active || id.is_none(),
        updated_at: db::ts(ctx.now),
    };
    let (id, action) = match id {
        Some(id) => {
            org::unit(conn, id)?.ok_or(ServiceError::NotFound)?;
            org::update_unit(conn, id, &data)?;
            (id, "unit_updated")
        }
        None => (
            org::insert_unit(conn, &data, db::ts(ctx.now))?,
            "unit_created",
        ),
    };
    // A new manager (or none) may leave a certificate that is not the manager's.
    super::certificates::clear_stale_certificates(conn, ctx, &[id])?;
    let mut entry = ctx.entry(Some(Role::Admin), action, Some(format!("unit:{code}")));
    entry.unit_code = Some(code.clone());
    entry.detail = Some(
        Msg::key("log-unit")
            .arg("name", name.as_str())
            .arg("manager", format!("{manager:?}"))
            .arg("medical_lead", format!("{medical_lead:?}"))
            .arg("function", function.as_str())
            .arg("active", log::yes_no(data.active)),
    );
    ctx.log(conn, &entry)?;
    Ok(id)
}

pub fn create_unit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &UnitInput,
) -> Result<i64, ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| save_unit(conn, ctx, None, input))
}

pub fn update_unit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &UnitInput,
) -> Result<(), ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        save_unit(conn, ctx, Some(id), input).map(|_| ())
    })
}

pub fn unit(conn: &mut DbConnection, ctx: &Ctx, id: i64) -> Result<Unit, ServiceError> {
    admin_of(ctx)?;
    org::unit(conn, id)?.ok_or(ServiceError::NotFound)
}

pub fn all_units(conn: &mut DbConnection, ctx: &Ctx) -> Result<Vec<Unit>, ServiceError> {
    admin_of(ctx)?;
    Ok(org::all_units(conn)?)
}

pub fn units_page(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: org::UnitSelection,
    cursor: &crate::db::page::Cursor<()>,
    limit: i64,
) -> Result<crate::db::page::Page<Unit, ()>, ServiceError> {
    unit_readers(ctx, selection)?;
    Ok(org::units_page(
        conn,
        selection,
        cursor,
        limit,
        crate::db::page::COUNT_CAP,
    )?)
}

/// Who reads a list of units: admins every list; handlers (`Access::MailStatus`) the units
/// whose mail certificate runs out, since the feedback they send depends on it.
fn unit_readers(ctx: &Ctx, selection: org::UnitSelection) -> Result<(), ServiceError> {
    match selection {
        org::UnitSelection::CertificateBy(_) => ctx
            .authorize(crate::service::Access::MailStatus)
            .map(|_| ()),
        _ => admin_of(ctx),
    }
}

/// How many units a selection holds (a number), up to `cap`.
pub fn units_count(
    conn: &mut DbConnection,
    ctx: &Ctx,
    selection: org::UnitSelection,
    cap: i64,
) -> Result<crate::db::page::Count, ServiceError> {
    unit_readers(ctx, selection)?;
    Ok(org::units_count(conn, selection, cap)?)
}

pub fn managers(conn: &mut DbConnection, ctx: &Ctx) -> Result<Vec<User>, ServiceError> {
    admin_of(ctx)?;
    Ok(users::with_role(conn, Role::Manager, 1000)?)
}

/// Active deciders, who may be named a unit's MAL.
pub fn deciders(conn: &mut DbConnection, ctx: &Ctx) -> Result<Vec<User>, ServiceError> {
    admin_of(ctx)?;
    Ok(users::deciders(conn, 1000)?)
}
