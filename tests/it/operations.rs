//! Operations: the health check writes, a database outage is answered fast and recovered from,
//! mail leases, metrics, request ids, the systemd unit and encrypted TOTP secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::TestApp;
use kontosparr::clock::Clock;
use kontosparr::db;

async fn healthz_writes_a_heartbeat(app: TestApp) {
    let mut b = app.browser();
    let r = b.get("/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let first = db::health::last_beat(&mut app.conn(), &app.state.node).unwrap();
    assert_eq!(first, Some(db::ts(app.clock.now())));
    app.clock.advance(chrono::Duration::seconds(90));
    assert_eq!(b.get("/healthz").await.status, 200);
    let second = db::health::last_beat(&mut app.conn(), &app.state.node).unwrap();
    assert_eq!(
        second,
        Some(db::ts(app.clock.now())),
        "the row is updated, not added"
    );
}

dual!(healthz_writes_a_heartbeat);
