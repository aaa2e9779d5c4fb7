//! Staff accounts: creating, changing, resetting a login, the first administrator.

use super::*;

/// The staff form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserInput {
    #[serde(default)]
    pub hsa_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub is_decider: bool,
    #[serde(default)]
    pub active: bool,
}

pub(super) struct ValidUser {
    hsa_id: String,
    name: String,
    email: String,
    roles: Vec<Role>,
    unit_ids: Vec<i64>,
}

pub(super) fn validate_user(
    conn: &mut DbConnection,
    input: &UserInput,
    existing_id: Option<i64>,
) -> Result<ValidUser, ServiceError> {
    let mut e = FieldErrors::default();
    let hsa_id = match HsaId::parse(&input.hsa_id) {
        Ok(h) => {
            if let Some(other) = users::by_hsa_id(conn, h.as_str())?
                && Some(other.id) != existing_id
            {
                e.add("hsa_id", messages::HSA_TAKEN);
            }
            h.to_string()
        }
        Err(err) => {
            e.add("hsa_id", messages::hsa_id(err));
            input.hsa_id.trim().to_string()
        }
    };
    let name = line_field(&mut e, "name", &input.name, 200, true);
    let email = text_field(&mut e, "email", &input.email, 254, true);
    if !email.is_empty() && !validate::email(&email) {
        e.add("email", messages::EMAIL_INVALID);
    }
    let mut roles: Vec<Role> = input.roles.iter().filter_map(|r| r.parse().ok()).collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty()
        || roles.len()
            != input
                .roles
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
    {
        e.add("roles", messages::ROLE_REQUIRED);
    }
    let mut unit_ids = Vec::new();
    for u in &input.units {
        match u
            .parse::<i64>()
            .ok()
            .map(|id| org::unit(conn, id))
            .transpose()?
            .flatten()
        {
            Some(unit) => unit_ids.push(unit.id),
            None => e.add("units", messages::UNIT_UNKNOWN),
        }
    }
    unit_ids.sort();
    unit_ids.dedup();
    if roles.iter().any(|r| r.is_unit_bound()) && unit_ids.is_empty() {
        e.add("units", messages::UNIT_REQUIRED);
    }
    e.into_result()?;
    Ok(ValidUser {
        hsa_id,
        name,
        email,
        roles,
        unit_ids,
    })
}

/// A new enrolment link token valid for `hours`; only its digest is stored.
pub(super) fn new_enrolment_token(
    conn: &mut DbConnection,
    ctx: &Ctx,
    user_id: i64,
    hours: i64,
) -> Result<String, ServiceError> {
    let token = tokens::random_token();
    let now = db::ts(ctx.now);
    users::insert_enrolment_token(
        conn,
        user_id,
        &tokens::digest(&token),
        now + Duration::hours(hours),
        now,
    )?;
    Ok(token)
}

pub(super) fn describe(v: &ValidUser, is_decider: bool, active: bool) -> Msg {
    Msg::key("log-user")
        .arg(
            "roles",
            v.roles
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(","),
        )
        .arg("units", format!("{:?}", v.unit_ids))
        .arg("decider", log::yes_no(is_decider))
        .arg("active", log::yes_no(active))
}

/// How a new account gets its first password.
pub enum FirstPassword<'a> {
    /// A one-time link (the usual way); its token is returned.
    Link { hours: i64 },
    /// A temporary password that must be changed at first login (for scripts).
    Temporary(&'a str),
}

pub struct Created {
    pub user_id: i64,
    pub enrolment_token: Option<String>,
}

pub fn create_user(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &UserInput,
    first: FirstPassword<'_>,
) -> Result<Created, ServiceError> {
    admin_of(ctx)?;
    let temp_hash = match &first {
        FirstPassword::Temporary(p) => {
            let hsa = input.hsa_id.trim().to_ascii_uppercase();
            if let Err(problem) = validate::password(p, &hsa) {
                let mut e = FieldErrors::default();
                e.add("password", messages::password(problem));
                return Err(ServiceError::Invalid(e));
            }
            Some(password::hash(p)?)
        }
        FirstPassword::Link { .. } => None,
    };
    db::write_tx(conn, |conn| {
        let v = validate_user(conn, input, None)?;
        let now = db::ts(ctx.now);
        let id = users::insert(
            conn,
            &NewUser {
                hsa_id: &v.hsa_id,
                name: &v.name,
                email: &v.email,
                is_decider: input.is_decider,
                active: true,
                password_hash: temp_hash.as_deref(),
                must_change_password: temp_hash.is_some(),
                created_at: now,
                updated_at: now,
            },
        )?;
        users::set_roles(conn, id, &v.roles)?;
        users::set_units(conn, id, &v.unit_ids)?;
        let enrolment_token = match first {
            FirstPassword::Link { hours } => Some(new_enrolment_token(conn, ctx, id, hours)?),
            FirstPassword::Temporary(_) => None,
        };
        let mut e = ctx.entry(
            Some(Role::Admin),
            "user_created",
            Some(format!("user:{}", v.hsa_id)),
        );
        e.detail = Some(describe(&v, input.is_decider, true));
        ctx.log(conn, &e)?;
        Ok(Created {
            user_id: id,
            enrolment_token,
        })
    })
}

pub fn update_user(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    input: &UserInput,
) -> Result<(), ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        let old = users::by_id(conn, id)?.ok_or(ServiceError::NotFound)?;
        let mut input = input.clone();
        input.hsa_id = old.hsa_id.clone(); // the HSA-ID identifies the account; it is not edited
        let v = validate_user(conn, &input, Some(id))?;
        if ctx.user_id() == Some(id) && (!input.active || !v.roles.contains(&Role::Admin)) {
            return Err(ServiceError::Declined(Reason::OwnAdminAccess));
        }
        users::update_profile(
            conn,
            id,
            &users::ProfileChange {
                name: &v.name,
                email: &v.email,
                is_decider: input.is_decider,
                active: input.active,
                updated_at: db::ts(ctx.now),
            },
        )?;
        users::set_roles(conn, id, &v.roles)?;
        users::set_units(conn, id, &v.unit_ids)?;
        if old.email != v.email || (old.active && !input.active) {
            // The certificates of the units this user manages were for the old address.
            let managed: Vec<i64> = crate::db::org::all_units(conn)?
                .into_iter()
                .filter(|u| u.manager_user_id == Some(id))
                .map(|u| u.id)
                .collect();
            super::certificates::clear_stale_certificates(conn, ctx, &managed)?;
        }
        let action = if old.active && !input.active {
            // Disabling ends every session of the user at once.
            sessions::delete_for_user(conn, id)?;
            "user_disabled"
        } else {
            "user_updated"
        };
        let mut e = ctx.entry(
            Some(Role::Admin),
            action,
            Some(format!("user:{}", old.hsa_id)),
        );
        e.detail = Some(describe(&v, input.is_decider, input.active));
        ctx.log(conn, &e)?;
        Ok(())
    })
}

/// Clears password, TOTP and recovery codes, ends the user's sessions and issues a new link.
pub fn reset_login(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    hours: i64,
) -> Result<String, ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        let u = users::by_id(conn, id)?.ok_or(ServiceError::NotFound)?;
        users::set_password(conn, id, None, false, db::ts(ctx.now))?;
        users::set_totp(conn, id, None, None)?;
        users::replace_recovery_codes(conn, id, &[])?;
        crate::db::login_throttle::clear_user(conn, id)?;
        sessions::delete_for_user(conn, id)?;
        let token = new_enrolment_token(conn, ctx, id, hours)?;
        ctx.log(
            conn,
            &ctx.entry(
                Some(Role::Admin),
                "user_login_reset",
                Some(format!("user:{}", u.hsa_id)),
            ),
        )?;
        Ok(token)
    })
}

/// The first administrator, from the command line, only while there is none.
pub fn create_first_admin(
    conn: &mut DbConnection,
    ctx: &Ctx,
    hsa_id: &str,
    name: &str,
    email: &str,
    hours: i64,
) -> Result<String, ServiceError> {
    if !users::with_role(conn, Role::Admin, 1)?.is_empty() {
        return Err(ServiceError::Declined(Reason::AdminExists));
    }
    let input = UserInput {
        hsa_id: hsa_id.into(),
        name: name.into(),
        email: email.into(),
        roles: vec![Role::Admin.code().into()],
        units: vec![],
        is_decider: false,
        active: true,
    };
    let created = create_user(conn, ctx, &input, FirstPassword::Link { hours })?;
    created.enrolment_token.ok_or(ServiceError::NotFound)
}

pub struct UserDetails {
    pub user: User,
    pub roles: Vec<Role>,
    pub units: Vec<Unit>,
}

pub fn user_details(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
) -> Result<UserDetails, ServiceError> {
    admin_of(ctx)?;
    let user = users::by_id(conn, id)?.ok_or(ServiceError::NotFound)?;
    let roles = users::roles(conn, id)?;
    let units = users::units_of(conn, id)?;
    Ok(UserDetails { user, roles, units })
}

/// A staff account as the admin list shows it: never the password hash or the TOTP secret.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub id: i64,
    pub hsa_id: String,
    pub name: String,
    pub email: String,
    pub active: bool,
    /// The account has a password (enrolment finished at least that far).
    pub enrolled: bool,
}

impl From<User> for UserSummary {
    fn from(u: User) -> Self {
        UserSummary {
            enrolled: u.password_hash.is_some(),
            id: u.id,
            hsa_id: u.hsa_id,
            name: u.name,
            email: u.email,
            active: u.active,
        }
    }
}

pub fn users_page(
    conn: &mut DbConnection,
    ctx: &Ctx,
    query: &str,
    unfinished: bool,
    cursor: &crate::db::page::Cursor<()>,
    limit: i64,
) -> Result<crate::db::page::Page<UserSummary, ()>, ServiceError> {
    admin_of(ctx)?;
    let page = users::page(
        conn,
        query.trim(),
        unfinished,
        cursor,
        limit,
        crate::db::page::COUNT_CAP,
    )?;
    Ok(page.map(UserSummary::from))
}

/// How many active accounts never finished enrolment (no second factor yet), up to `cap`.
pub fn unfinished_count(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cap: i64,
) -> Result<crate::db::page::Count, ServiceError> {
    admin_of(ctx)?;
    Ok(users::count_matching(conn, "", true, cap)?)
}

/// Number of staff accounts (a first start has none).
pub fn user_count(conn: &mut DbConnection) -> Result<i64, ServiceError> {
    Ok(users::count(conn)?)
}
