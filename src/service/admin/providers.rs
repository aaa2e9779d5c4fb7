//! The approved list of private care providers.

use super::*;

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProviderInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub org_number: String,
}

pub fn add_provider(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &ProviderInput,
) -> Result<i64, ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        let mut e = FieldErrors::default();
        let name = line_field(&mut e, "name", &input.name, 200, true);
        let org_nr = validate::org_number(&input.org_number);
        match &org_nr {
            None => e.add("org_number", messages::ORG_INVALID),
            Some(o) => {
                if org::provider_by_org(conn, o)?.is_some() {
                    e.add("org_number", messages::ORG_TAKEN);
                }
            }
        }
        e.into_result()?;
        let org_nr = org_nr.unwrap_or_default();
        let id = org::insert_provider(conn, &name, &org_nr, db::ts(ctx.now))?;
        let mut entry = ctx.entry(
            Some(Role::Admin),
            "provider_approved",
            Some(format!("provider:{org_nr}")),
        );
        entry.detail = Some(format!("namn={name}"));
        ctx.log(conn, &entry)?;
        Ok(id)
    })
}

pub fn set_provider_approved(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    approved: bool,
) -> Result<(), ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        let p = org::provider(conn, id)?.ok_or(ServiceError::NotFound)?;
        org::set_provider_approved(conn, id, approved, db::ts(ctx.now))?;
        let action = if approved {
            "provider_approved"
        } else {
            "provider_removed"
        };
        ctx.log(
            conn,
            &ctx.entry(
                Some(Role::Admin),
                action,
                Some(format!("provider:{}", p.org_number)),
            ),
        )?;
        Ok(())
    })
}

pub fn providers_page(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cursor: &crate::db::page::Cursor<String>,
    limit: i64,
) -> Result<crate::db::page::Page<CareProvider, String>, ServiceError> {
    admin_of(ctx)?;
    Ok(org::providers_page(
        conn,
        cursor,
        limit,
        crate::db::page::COUNT_CAP,
    )?)
}
