//! Demo mode: a realistic region for a newcomer — units, one user of each role with a known
//! password and TOTP secret, and cases in (nearly) every state. Demo data lives only in a
//! database marked as a demo; demo mode refuses any other database, and normal mode refuses a
//! demo database.

use super::admin::{self, FirstPassword, UnitInput, UserInput};
use super::cases::{self, CallInput, CaseInput, ExecuteInput};
use super::{Ctx, ServiceError, session};
use crate::auth::secrets::SecretBox;
use crate::auth::{password, secrets, totp};
use crate::db::{self, DbConnection, settings, users};
use crate::domain::Role;
use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};

/// The one password of every demo account (shown on the demo login page).
pub const DEMO_PASSWORD: &str = "Demo-lösenord 2026";

const MARKER: &str = "demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Empty,
    Demo,
    RealData,
}

pub fn database_kind(conn: &mut DbConnection) -> Result<DatabaseKind, ServiceError> {
    if settings::get(conn, MARKER)?.as_deref() == Some("true") {
        return Ok(DatabaseKind::Demo);
    }
    Ok(if users::count(conn)? == 0 {
        DatabaseKind::Empty
    } else {
        DatabaseKind::RealData
    })
}

/// A demo account as the login page lists it.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub name: String,
    pub hsa_id: String,
    pub code: String,
}

struct Person {
    hsa: &'static str,
    name: &'static str,
    roles: &'static [Role],
    units: &'static [&'static str],
    decider: bool,
    label: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        hsa: "SE2321000131-E000000000101",
        name: "Doris Läkare",
        roles: &[Role::Clinician],
        units: &["PSYK-SU"],
        decider: true,
        label: "Vårdpersonal, beslutsfattare",
    },
    Person {
        hsa: "SE2321000131-E000000000102",
        name: "Sara Sjuksköterska",
        roles: &[Role::Clinician],
        units: &["PSYK-SU"],
        decider: false,
        label: "Vårdpersonal",
    },
    Person {
        hsa: "SE2321000131-E000000000103",
        name: "Mats Verksamhetschef",
        roles: &[Role::Manager, Role::Clinician],
        units: &["PSYK-SU"],
        decider: true,
        label: "Verksamhetschef",
    },
    Person {
        hsa: "SE2321000131-E000000000104",
        name: "Vera Distriktsläkare",
        roles: &[Role::Clinician],
        units: &["VC-MAJ"],
        decider: true,
        label: "Vårdpersonal (annan enhet)",
    },
    Person {
        hsa: "SE2321000131-E000000000105",
        name: "Cecilia Chefläkare",
        roles: &[Role::ChiefPhysician],
        units: &["PSYK-SU", "VC-MAJ", "BUP-GBG"],
        decider: false,
        label: "Chefläkare",
    },
    Person {
        hsa: "SE2321000131-E000000000106",
        name: "Hugo Handläggare",
        roles: &[Role::Handler],
        units: &[],
        decider: false,
        label: "Handläggare, Spärr- och loggservice",
    },
    Person {
        hsa: "SE2321000131-E000000000107",
        name: "Anders Logguppföljare",
        roles: &[Role::Auditor],
        units: &[],
        decider: false,
        label: "Logguppföljning",
    },
    Person {
        hsa: "SE2321000131-E000000000108",
        name: "Ada Administratör",
        roles: &[Role::Admin],
        units: &[],
        decider: false,
        label: "Administratör",
    },
];

/// The fixed TOTP secret of a demo account (derived from its HSA-ID).
fn demo_secret(hsa: &str) -> String {
    let h = Sha256::digest(format!("kontosparr-demo:{hsa}").as_bytes());
    BASE32_NOPAD.encode(&h[..20])
}

/// The demo accounts with their codes right now.
pub fn accounts(now: DateTime<Utc>) -> Vec<DemoAccount> {
    PEOPLE
        .iter()
        .map(|p| DemoAccount {
            role: p.label,
            name: p.name.to_string(),
            hsa_id: p.hsa.to_string(),
            code: totp::code_at(&demo_secret(p.hsa), totp::step_of(now.timestamp()))
                .unwrap_or_default(),
        })
        .collect()
}

fn lock_input(unit: i64, responsible: i64, pnr: &str, name: &str) -> CaseInput {
    CaseInput {
        kind: "lock".into(),
        unit_id: unit.to_string(),
        citizen_pnr: pnr.into(),
        citizen_name: name.into(),
        risk_kinds: vec!["hot".into(), "skada".into()],
        basis: vec!["security".into(), "psychosocial".into()],
        situations: vec!["threat".into()],
        assessment_reasons:
            "Närstående har tillgång till patientens telefon och läser meddelanden från vården."
                .into(),
        assessment_risks: "Risk för hot och våld om bokade besök och kontakter blir kända.".into(),
        assessment_scope: "Hela inloggningen på 1177.se tills vidare; omprövas efter tre månader."
            .into(),
        requested_by: "staff".into(),
        journal_note_date: "2026-01-02".into(),
        chief_informed_date: "2026-01-02".into(),
        chief_informed_whom: "Cecilia Chefläkare".into(),
        patient_informed_date: "2026-01-02".into(),
        journal_sealing: "no".into(),
        review_responsible_user_id: responsible.to_string(),
        care_provider: "region".into(),
        version: 1,
        ..Default::default()
    }
}

/// Fills an empty database with the demo region and marks it as a demo. The accounts' TOTP
/// secrets are stored encrypted under `keys` (the server's `secret_key_file`), as every other.
pub fn seed(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    wf: &cases::Workflow,
    keys: &SecretBox,
) -> Result<(), ServiceError> {
    let system = Ctx {
        now,
        client_addr: "demo".into(),
        principal: super::Principal::Demo,
    };
    let mut unit_ids = std::collections::HashMap::new();
    for (code, name) in [
        ("PSYK-SU", "Psykiatri Affektiva, Sahlgrenska"),
        ("VC-MAJ", "Vårdcentralen Majorna"),
        ("BUP-GBG", "BUP Göteborg"),
        ("AKUT-NAL", "Akutmottagningen NÄL"),
    ] {
        let id = admin::create_unit(
            conn,
            &system,
            &UnitInput {
                code: code.into(),
                name: name.into(),
                manager_user_id: String::new(),
                chief_physician_function: "Chefläkare Område Göteborg".into(),
                chief_physician_email: "chefslakare.demo@example.se".into(),
                active: true,
            },
        )?;
        unit_ids.insert(code, id);
    }
    admin::add_provider(
        conn,
        &system,
        &admin::ProviderInput {
            name: "Läkarhuset Avenyn AB".into(),
            org_number: "556677-8899".into(),
        },
    )?;
    let hash = password::hash(DEMO_PASSWORD)?;
    let mut ids = std::collections::HashMap::new();
    for p in PEOPLE {
        let input = UserInput {
            hsa_id: p.hsa.into(),
            name: p.name.into(),
            email: format!("{}@demo.example.se", p.hsa.to_lowercase()),
            roles: p.roles.iter().map(|r| r.code().to_string()).collect(),
            units: p
                .units
                .iter()
                .filter_map(|u| unit_ids.get(u))
                .map(|i| i.to_string())
                .collect(),
            is_decider: p.decider,
            active: true,
        };
        let created = admin::create_user(
            conn,
            &system,
            &input,
            FirstPassword::Temporary(DEMO_PASSWORD),
        )?;
        users::set_password(conn, created.user_id, Some(&hash), false, db::ts(now))?;
        let sealed = keys
            .seal(&demo_secret(p.hsa), &secrets::user_place(created.user_id))
            .map_err(|e| ServiceError::Refused(format!("demo TOTP secret: {e}")))?;
        users::set_totp(conn, created.user_id, Some(&sealed), None)?;
        ids.insert(p.hsa, created.user_id);
    }
    let psyk = unit_ids["PSYK-SU"];
    let vc = unit_ids["VC-MAJ"];
    // The manager of PSYK-SU is Mats.
    admin::update_unit(
        conn,
        &system,
        psyk,
        &UnitInput {
            code: "PSYK-SU".into(),
            name: "Psykiatri Affektiva, Sahlgrenska".into(),
            manager_user_id: ids[PEOPLE[2].hsa].to_string(),
            chief_physician_function: "Chefläkare Område Göteborg".into(),
            chief_physician_email: "chefslakare.demo@example.se".into(),
            active: true,
        },
    )?;
    let as_user = |conn: &mut DbConnection, i: usize| -> Result<Ctx, ServiceError> {
        Ok(Ctx {
            now,
            client_addr: "demo".into(),
            principal: match session::load_actor(conn, ids[PEOPLE[i].hsa])? {
                Some(a) => super::Principal::Staff(a),
                None => return Err(ServiceError::NotFound),
            },
        })
    };
    let doris = as_user(conn, 0)?;
    let sara = as_user(conn, 1)?;
    let vera = as_user(conn, 3)?;
    let hugo = as_user(conn, 5)?;
    let sara_id = ids[PEOPLE[1].hsa];
    let ver = |conn: &mut DbConnection, id: i64| -> Result<i32, ServiceError> {
        Ok(crate::db::cases::get(conn, id)?
            .map(|c| c.version)
            .unwrap_or(1))
    };
    let submitted = |conn: &mut DbConnection, pnr: &str, name: &str| -> Result<i64, ServiceError> {
        let id = cases::create_draft(conn, &doris, &lock_input(psyk, sara_id, pnr, name))?;
        let v = ver(conn, id)?;
        cases::sign(conn, &doris, id, v)?;
        let v = ver(conn, id)?;
        cases::submit(conn, &doris, id, v)?;
        Ok(id)
    };
    let checks = |conn: &mut DbConnection, id: i64| -> Result<(), ServiceError> {
        for item in ["register_match", "earlier_cases", "category"] {
            let v = ver(conn, id)?;
            cases::check_item(conn, &hugo, id, v, item, "")?;
        }
        Ok(())
    };
    // An executed lock (Tolvan): the newcomer can file an unlock that refers to it.
    let t = submitted(conn, "19121212-1212", "Tolvan Tolvansson")?;
    let v = ver(conn, t)?;
    cases::receive(conn, &hugo, t, v)?;
    checks(conn, t)?;
    let v = ver(conn, t)?;
    cases::verify(conn, &hugo, t, v)?;
    let v = ver(conn, t)?;
    cases::execute(
        conn,
        &hugo,
        t,
        &ExecuteInput {
            helpdesk_ref: "RÄLS-10001".into(),
            plexus_ref: "PX-501".into(),
            version: v,
        },
        wf,
    )?;
    // An executed lock whose review is coming up (for the review page).
    let g = submitted(conn, "19090121+9931", "Gustav Gran")?;
    let v = ver(conn, g)?;
    cases::receive(conn, &hugo, g, v)?;
    checks(conn, g)?;
    let v = ver(conn, g)?;
    cases::verify(conn, &hugo, g, v)?;
    let v = ver(conn, g)?;
    cases::execute(
        conn,
        &hugo,
        g,
        &ExecuteInput {
            helpdesk_ref: "RÄLS-10003".into(),
            plexus_ref: String::new(),
            version: v,
        },
        wf,
    )?;
    // Verified, waiting for execution.
    let f = submitted(conn, "19090527+1474", "Fredrik Frost")?;
    let v = ver(conn, f)?;
    cases::receive(conn, &hugo, f, v)?;
    checks(conn, f)?;
    let v = ver(conn, f)?;
    cases::verify(conn, &hugo, f, v)?;
    // Received, checklist under way.
    let d = submitted(conn, "20000229-2399", "David Dahl")?;
    let v = ver(conn, d)?;
    cases::receive(conn, &hugo, d, v)?;
    let v = ver(conn, d)?;
    cases::check_item(conn, &hugo, d, v, "register_match", "Stämmer med PU")?;
    // Returned for completion.
    let e = submitted(conn, "19730288-9931", "Erik Ek")?;
    let v = ver(conn, e)?;
    cases::return_case(
        conn,
        &hugo,
        e,
        v,
        "Ange vem som informerade chefläkaren och när patienten informerades.",
    )?;
    // Submitted, new in the queue.
    submitted(conn, "19460823-9986", "Britt Berg")?;
    // A draft prepared by a nurse, waiting for a decider's signature.
    let mut partial = lock_input(psyk, sara_id, "19570428-9999", "Anna Andersson");
    partial.assessment_scope.clear();
    cases::create_draft(conn, &sara, &partial)?;
    // A withdrawn draft.
    let w = cases::create_draft(
        conn,
        &sara,
        &lock_input(psyk, sara_id, "19090121+9931", "Gustav Gran"),
    )?;
    let v = ver(conn, w)?;
    cases::withdraw(
        conn,
        &sara,
        w,
        v,
        "Patienten har flyttat till annan region.",
    )?;
    // An emergency lock waiting for the citizen's form (protected identity).
    cases::register_call(
        conn,
        &hugo,
        &CallInput {
            caller_name: "Sara Sjuksköterska".into(),
            caller_phone: "031-342 00 00".into(),
            caller_email: "sara.sjukskoterska@example.se".into(),
            unit_id: psyk.to_string(),
            citizen_pnr: "20000405-9937".into(),
            citizen_name: "Cecilia Carlsson".into(),
            citizen_protected: true,
            requested_by: "citizen".into(),
            helpdesk_ref: "RÄLS-10002".into(),
        },
        wf,
    )?;
    // Another unit's draft (not visible to PSYK-SU).
    let vera_id = vera.user_id().unwrap_or_default();
    cases::create_draft(
        conn,
        &vera,
        &lock_input(vc, vera_id, "20210791-9967", "Hanna Holm"),
    )?;
    settings::set(conn, MARKER, "true")?;
    Ok(())
}
