//! The intake API for e-form platforms, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::TestApp;
use kontosparr::domain::Role;
use serde_json::{Value, json};

dual!(
    intake_creates_one_submitted_case_per_key,
    intake_errors_name_the_field,
    other_methods_are_405_with_allow,
);

fn body(unit: &str, responsible: &str) -> Value {
    json!({
        "kind": "lock",
        "unit_code": unit,
        "citizen_personnummer": "19121212-1212",
        "citizen_name": "Tolvan Tolvansson",
        "risk_kinds": ["hot"],
        "basis": ["security"],
        "situations": ["threat"],
        "assessment_reasons": "Hotbild från närstående.",
        "assessment_risks": "Risk för våld.",
        "assessment_scope": "Hela inloggningen.",
        "requested_by": "staff",
        "journal_note_date": "2026-11-20",
        "chief_informed_date": "2026-11-20",
        "chief_informed_whom": "Chefläkare Område 1",
        "patient_informed_date": "2026-11-21",
        "journal_sealing_requested": false,
        "review_responsible_hsa_id": responsible,
        "decider_name": "Doris Läkare",
        "decider_hsa_id": "SE2321000131-E1",
        "decider_role": "Legitimerad läkare med behandlingsansvar",
        "decided_on": "2026-11-20"
    })
}

async fn post(app: &TestApp, token: &str, key: &str, body: &Value) -> (u16, Value) {
    let client = awc::Client::default();
    let mut req = client
        .post(format!("{}/api/v1/arenden", app.base))
        .insert_header(("idempotency-key", key));
    if !token.is_empty() {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    let mut res = req.send_json(body).await.unwrap();
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    (status, v)
}

async fn intake_creates_one_submitted_case_per_key(app: TestApp) {
    let unit = app.unit("PSYK");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    let b = body("psyk", &nurse.hsa_id);
    let (s1, v1) = post(&app, &token, "form-4711", &b).await;
    assert_eq!(s1, 201, "{v1}");
    assert_eq!(v1["status"], "submitted");
    // A retry gives the same case, not a second one.
    let (s2, v2) = post(&app, &token, "form-4711", &b).await;
    assert_eq!(s2, 200);
    assert_eq!(v1["id"], v2["id"]);
    // The same key with other content is refused.
    let mut other = b.clone();
    other["citizen_name"] = json!("Någon Annan");
    let (s3, v3) = post(&app, &token, "form-4711", &other).await;
    assert_eq!(s3, 409, "{v3}");
    assert_eq!(v3["errors"][0]["field"], "Idempotency-Key");
    // The case is in the handler's queue.
    let handler = app.user(&[Role::Handler], &[]);
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let id = v1["id"].as_i64().unwrap();
    let queue = h.get("/handlaggning").await;
    assert!(queue.body.contains(&format!("/arenden/{id}\"")));
    let page = h.get(&format!("/arenden/{id}")).await;
    assert!(page.body.contains("Inskickad") && page.body.contains("Doris Läkare"));
    // Without a valid token: 401, nothing created.
    assert_eq!(post(&app, "", "k2", &b).await.0, 401);
    assert_eq!(post(&app, "ks_wrong", "k2", &b).await.0, 401);
    let n = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "case_api_intake")
        .count();
    assert_eq!(n, 1);
}

async fn intake_errors_name_the_field(app: TestApp) {
    app.unit("PSYK");
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    let mut b = body("PSYK", "");
    b["citizen_personnummer"] = json!("19121212-1213");
    b["assessment_scope"] = json!("");
    let (s, v) = post(&app, &token, "k1", &b).await;
    assert_eq!(s, 422, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "citizen_personnummer",
        "assessment_scope",
        "review_responsible_hsa_id",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let mut unknown = body("PSYK", "");
    unknown["colour"] = json!("blue");
    let (s, v) = post(&app, &token, "k2", &unknown).await;
    assert_eq!(s, 400);
    assert_eq!(v["errors"][0]["field"], "colour");
    let (s, _) = post(&app, &token, "", &body("PSYK", "")).await;
    assert_eq!(s, 422);
    // The OpenAPI document is served.
    let mut res = awc::Client::default()
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    let doc: Value = res.json().limit(1 << 20).await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/api/v1/arenden"]["post"].is_object());
}

/// A method an API path does not take is 405 with `Allow` naming the one it does, in the API's
/// JSON error form (not the HTML 404 page); nothing is created.
async fn other_methods_are_405_with_allow(app: TestApp) {
    use awc::http::Method;
    app.unit("PSYK");
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    let client = awc::Client::default();
    for (path, allow, methods) in [
        (
            "/api/v1/arenden",
            "POST",
            &[
                Method::GET,
                Method::PUT,
                Method::DELETE,
                Method::PATCH,
                Method::TRACE,
            ][..],
        ),
        (
            "/api/openapi.json",
            "GET",
            &[Method::POST, Method::DELETE][..],
        ),
    ] {
        for m in methods {
            let mut res = client
                .request(m.clone(), format!("{}{path}", app.base))
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header(("idempotency-key", "k405"))
                .send_json(&body("PSYK", ""))
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 405, "{m} {path}");
            assert_eq!(
                res.headers().get("allow").and_then(|v| v.to_str().ok()),
                Some(allow),
                "{m} {path}"
            );
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["errors"][0]["field"], "method", "{m} {path}: {v}");
        }
    }
    assert!(
        !app.audit_actions().iter().any(|a| a == "case_api_intake"),
        "nothing filed"
    );
}
